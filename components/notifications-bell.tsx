"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useRef } from "react";
import { toast } from "sonner";
import { useTRPC } from "./trpc";

/**
 * The nav's bell: unread notifications, refreshed while the page is open. A notification that
 * arrives while a page is open also shows as a toast (not the ones already there on load).
 */
export function NotificationsBell() {
  const trpc = useTRPC();
  const router = useRouter();
  const q = useQuery({
    ...trpc.notifications.unreadCount.queryOptions(),
    refetchInterval: 15_000,
  });
  const seen = useRef<number | null>(null);
  const latest = q.data?.latest ?? null;
  useEffect(() => {
    if (!q.data) return;
    const id = latest?.id ?? 0;
    if (seen.current !== null && id > seen.current && latest) {
      toast(latest.title, {
        description: latest.body,
        action: latest.link
          ? { label: "View", onClick: () => router.push(latest.link!) }
          : undefined,
      });
    }
    seen.current = Math.max(seen.current ?? 0, id);
  }, [q.data, latest, router]);
  const n = q.data?.unread ?? 0;
  const label = n === 0 ? "Notifications" : `Notifications, ${n} unread`;
  return (
    <Link href="/notifications" aria-label={label} title={label} data-testid="notifications-bell">
      <span aria-hidden="true">🔔</span>
      {n > 0 && (
        <span className="badge bad" data-testid="unread-count" aria-hidden="true">
          {n > 99 ? "99+" : n}
        </span>
      )}
    </Link>
  );
}
