"use client";
import { startAuthentication } from "@simplewebauthn/browser";
import { useMutation } from "@tanstack/react-query";
import { signIn } from "next-auth/react";
import { useState, type FormEvent } from "react";
import { useTRPC } from "./trpc";

/** The prefix next-auth's error carries when the password was right and a second factor must follow. */
export const SECOND_FACTOR_PREFIX = "SECOND_FACTOR:";

/**
 * The second step of a sign-in (docs/adr/0050): a code from the authenticator app, a
 * recovery code, or the passkey. `pending` is the single-use token the password step gave.
 */
export function SecondFactorSignIn({ pending, onDone }: { pending: string; onDone: () => void }) {
  const trpc = useTRPC();
  const options = useMutation(trpc.security.signInPasskeyOptions.mutationOptions());
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function finish(fields: Record<string, string>) {
    setBusy(true);
    setError(null);
    const res = await signIn("credentials", { pending, ...fields, redirect: false });
    setBusy(false);
    if (!res || res.error) {
      setError(res?.error && res.error !== "CredentialsSignin" ? res.error : "That did not work.");
      return;
    }
    onDone();
  }

  async function onCode(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    await finish({ code: String(new FormData(e.currentTarget).get("code") ?? "") });
  }

  async function onPasskey() {
    setError(null);
    try {
      const optionsJSON = await options.mutateAsync({ pending });
      const answer = await startAuthentication({ optionsJSON });
      await finish({ passkey: JSON.stringify(answer) });
    } catch (err) {
      setError(
        err instanceof Error && !/NotAllowed|abort/i.test(err.name)
          ? err.message
          : "The passkey was not used (cancelled or not available here).",
      );
    }
  }

  return (
    <form onSubmit={onCode} className="card form" noValidate>
      <h1>Confirm it&apos;s you</h1>
      <p>Enter the code from your authenticator app, or one of your recovery codes.</p>
      <label>
        Code
        <input name="code" autoComplete="one-time-code" inputMode="text" required autoFocus />
      </label>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <button type="submit" disabled={busy}>
        {busy ? "Checking…" : "Continue"}
      </button>
      <button type="button" onClick={onPasskey} disabled={busy || options.isPending}>
        Use a passkey instead
      </button>
    </form>
  );
}
