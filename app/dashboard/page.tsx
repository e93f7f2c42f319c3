import { redirect } from "next/navigation";
import { Dashboard } from "@/components/dashboard";
import { serverCaller } from "@/server/api/server-caller";
import { getViewer } from "@/server/auth/session";

export const dynamic = "force-dynamic";

export default async function DashboardPage() {
  const viewer = await getViewer();
  if (!viewer) redirect("/signin?next=/dashboard");
  const api = await serverCaller();
  const copies = await api.copies.mine();
  return (
    <section className="stack">
      <h1>Your copies</h1>
      <Dashboard initial={copies} />
    </section>
  );
}
