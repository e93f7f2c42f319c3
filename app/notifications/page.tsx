import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { NotificationsFeed } from "@/components/notifications-feed";
import { serverCaller } from "@/server/api/server-caller";
import { getViewer } from "@/server/auth/session";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Notifications" };

export default async function NotificationsPage() {
  const viewer = await getViewer();
  if (!viewer) redirect("/signin?next=/notifications");
  const api = await serverCaller();
  const [list, preferences] = await Promise.all([
    api.notifications.list(),
    api.notifications.preferences(),
  ]);
  return (
    <section className="stack">
      <h1>Notifications</h1>
      <NotificationsFeed initial={list} preferences={preferences} />
    </section>
  );
}
