import Link from "next/link";
import type { Viewer } from "@/server/auth/session";
import { NavLinks } from "./nav-links";
import { NotificationsBell } from "./notifications-bell";
import { SignOutButton, SignOutEverywhereButton } from "./sign-out-button";

export function Nav({ viewer }: { viewer: Viewer | null }) {
  const items = [
    { href: "/leaders", label: "Leaders" },
    ...(viewer
      ? [
          { href: "/dashboard", label: "Dashboard" },
          { href: "/portfolio", label: "Portfolio" },
        ]
      : []),
    ...(viewer?.role === "leader" ? [{ href: "/leader", label: "Leader console" }] : []),
    ...(viewer && (viewer.role === "admin" || viewer.role === "support")
      ? [{ href: "/admin", label: "Admin" }]
      : []),
  ];
  return (
    <header className="nav">
      <Link href="/" className="brand">
        Tandem
      </Link>
      <nav aria-label="Main">
        {viewer && <NotificationsBell />}
        <NavLinks items={items}>
          {viewer ? (
            <>
              <span className="muted nav-email" data-testid="viewer-email">
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
        </NavLinks>
      </nav>
    </header>
  );
}
