import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { BrokerAccountsSummary } from "@/components/broker-accounts";
import { Dashboard } from "@/components/dashboard";
import { serverCaller } from "@/server/api/server-caller";
import { getViewer } from "@/server/auth/session";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Dashboard" };

export default async function DashboardPage() {
  const viewer = await getViewer();
  if (!viewer) redirect("/signin?next=/dashboard");
  const api = await serverCaller();
  const [copies, portfolio] = await Promise.all([api.copies.mine(), api.portfolio.summary()]);
  return (
    <section className="stack">
      <h1>Your copies</h1>
      <Dashboard initial={copies} portfolio={portfolio} />
      <BrokerAccountsSummary />
    </section>
  );
}
