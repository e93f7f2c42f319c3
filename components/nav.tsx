import Link from "next/link";
import type { Viewer } from "@/server/auth/session";
import { NotificationsBell } from "./notifications-bell";
import { SignOutButton, SignOutEverywhereButton } from "./sign-out-button";

export function Nav({ viewer }: { viewer: Viewer | null }) {
  return (
    <header className="nav">
      <Link href="/" className="brand">
        Tandem
      </Link>
      <nav aria-label="Main">
        <Link href="/leaders">Leaders</Link>
        {viewer && <Link href="/dashboard">Dashboard</Link>}
        {viewer?.role === "leader" && <Link href="/leader">Leader console</Link>}
        {viewer && (viewer.role === "admin" || viewer.role === "support") && (
          <Link href="/admin">Admin</Link>
        )}
        {viewer ? (
          <>
            <NotificationsBell />
            <span className="muted" data-testid="viewer-email">
              {viewer.email}
            </span>
            <SignOutButton />
            <SignOutEverywhereButton />
          </>
        ) : (
          <>
            <Link href="/signin">Sign in</Link>
            <Link href="/signup" className="button">
              Sign up
            </Link>
          </>
        )}
      </nav>
    </header>
  );
}
