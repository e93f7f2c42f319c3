import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { BrokerAccounts } from "@/components/broker-accounts";
import { getViewer } from "@/server/auth/session";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Broker accounts" };

export default async function AccountsPage() {
  const viewer = await getViewer();
  if (!viewer) redirect("/signin?next=/accounts");
  return (
    <section className="stack">
      <h1>Broker accounts</h1>
      <BrokerAccounts isLeader={viewer.role === "leader"} />
    </section>
  );
}
