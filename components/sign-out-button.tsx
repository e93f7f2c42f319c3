"use client";
import { useMutation } from "@tanstack/react-query";
import { signOut } from "next-auth/react";
import { useTRPC } from "./trpc";

/**
 * Sign-out lands on "/" of the host in use: next-auth's own redirect would send the browser
 * to NEXTAUTH_URL (localhost:3000 by default) whatever address the user came in on.
 */
async function leave() {
  await signOut({ redirect: false });
  // A full load, not client navigation: nothing of the signed-in user stays in memory.
  window.location.replace(`${window.location.origin}/`);
}

export function SignOutButton() {
  return (
    <button type="button" className="link-button" onClick={() => void leave()}>
      Sign out
    </button>
  );
}

/** Ends every session of this user (other browsers and devices included), then this one. */
export function SignOutEverywhereButton() {
  const trpc = useTRPC();
  const everywhere = useMutation(trpc.auth.signOutEverywhere.mutationOptions());
  return (
    <button
      type="button"
      className="link-button"
      disabled={everywhere.isPending}
      onClick={() => void everywhere.mutateAsync().finally(() => void leave())}
    >
      Sign out everywhere
    </button>
  );
}
