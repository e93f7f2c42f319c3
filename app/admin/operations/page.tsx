import type { Metadata } from "next";
import Link from "next/link";
import { OpsCharts } from "@/components/ops-charts";
import { getViewer } from "@/server/auth/session";

export const metadata: Metadata = { title: "Operations" };

/**
 * What an operator watches (issue 13, ADR 0046): submissions, lag, refusals, mismatches,
 * the send queue and breakers, summed over every worker. Admins only: the layout admits
 * staff, this page and the `ops.series` procedure admit only admins.
 */
export default async function OperationsPage() {
  const viewer = await getViewer();
  if (viewer?.role !== "admin")
    return (
      <section className="card" role="alert">
        <h1>Access denied</h1>
        <p>The operations view is only for admins.</p>
      </section>
    );
  return (
    <section>
      <h1>Operations</h1>
      <p>
        <Link href="/admin">← Admin console</Link> · Prometheus scrapes <code>/api/metrics</code>{" "}
        (bearer token) and each worker&apos;s <code>WORKER_METRICS_PORT</code>.
      </p>
      <OpsCharts />
    </section>
  );
}
