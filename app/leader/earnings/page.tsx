import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { Earnings } from "@/components/earnings";
import { FeeSettings } from "@/components/fee-settings";
import { serverCaller } from "@/server/api/server-caller";
import { getViewer } from "@/server/auth/session";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Your earnings" };

export default async function EarningsPage() {
  const viewer = await getViewer();
  if (!viewer) redirect("/signin?next=/leader/earnings");
  if (viewer.role !== "leader") {
    return (
      <section className="card" role="alert">
        <h1>Your earnings</h1>
        <p>Earnings are for leaders.</p>
      </section>
    );
  }
  const api = await serverCaller();
  const [earnings, fees] = await Promise.all([api.fees.earnings(), api.fees.myFees()]);
  return (
    <div className="stack">
      <Earnings e={earnings} />
      <FeeSettings initial={fees} />
    </div>
  );
}
