"use client";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { useState, type ReactNode } from "react";

type Item = { href: string; label: string };

/**
 * The main links, the current one marked (aria-current), and on a phone folded behind one
 * "Menu" button so the header stays one line.
 */
export function NavLinks({ items, children }: { items: Item[]; children?: ReactNode }) {
  const path = usePathname() ?? "/";
  const [open, setOpen] = useState(false);
  const current = (href: string) => path === href || path.startsWith(`${href}/`);
  return (
    <>
      <button
        type="button"
        className="menu-toggle secondary"
        aria-expanded={open}
        aria-controls="main-menu"
        onClick={() => setOpen((v) => !v)}
      >
        {open ? "Close menu" : "Menu"}
      </button>
      <div id="main-menu" className={`nav-items${open ? " open" : ""}`}>
        {items.map((i) => (
          <Link
            key={i.href}
            href={i.href}
            aria-current={current(i.href) ? "page" : undefined}
            className="nav-link"
            onClick={() => setOpen(false)}
          >
            {i.label}
          </Link>
        ))}
        {children}
      </div>
    </>
  );
}
