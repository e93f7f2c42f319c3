"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useTRPC } from "./trpc";

/** The nav's bell: unread notifications, refreshed while the page is open. */
export function NotificationsBell() {
  const trpc = useTRPC();
  const q = useQuery({
    ...trpc.notifications.unreadCount.queryOptions(),
    refetchInterval: 15_000,
  });
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
