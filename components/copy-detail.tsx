"use client";
import Link from "next/link";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";
import { PerformanceCharts } from "./charts";
import { CopyActivity, CopyRecord } from "./copy-activity";
import { CopyControls } from "./copy-controls";
import { CopyPositions } from "./copy-positions";
import { CopyHeader, CopyStats } from "./copy-summary";
import { drawdown, pct } from "./format";
import { useTRPC } from "./trpc";
import { WhyDifferentPanel } from "./why-different";

export type CopyView = inferRouterOutputs<AppRouter>["copies"]["detail"];

/**
 * One copy, live: health, results, controls (the owner only), positions beside targets, what
 * was skipped or reduced and why, and the full record. Support sees the same page read-only.
 */
export function CopyDetail({
  initial,
  readOnly = false,
}: {
  initial: CopyView;
  readOnly?: boolean;
}) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const q = useQuery({
    ...trpc.copies.detail.queryOptions({ id: initial.id }),
    initialData: initial,
    refetchInterval: 2_000,
    enabled: !readOnly,
  });
  const d = q.data;
  const refresh = () =>
    qc.invalidateQueries({ queryKey: trpc.copies.detail.queryKey({ id: d.id }) });
  return (
    <div className="stack">
      <CopyHeader d={d} />
      {q.isError && (
        <p role="alert" className="error">
          Live updates failed; showing the last known state. Retrying…
        </p>
      )}
      <CopyStats d={d} />
      <p className="muted" style={{ margin: 0 }}>
        Fees, deposits and the high-water mark, period by period:{" "}
        <Link href={`/copies/${d.id}/statement`}>your statement</Link> (also as CSV). New fee terms
        from the leader wait there for your answer.
      </p>
      {!readOnly && d.status !== "stopped" && <CopyControls d={d} onChanged={refresh} />}
      <CopyPositions d={d} />
      <CopyActivity d={d} />
      <WhyDifferentPanel copyId={d.id} />
      <section aria-labelledby="chart">
        <h2 id="chart">Your copy&apos;s value</h2>
        <PerformanceCharts points={d.chart} title="Copy value" />
        {d.performance && (
          <p className="muted">
            Return {pct(d.performance.twr)} · max drawdown {drawdown(d.performance.maxDrawdown)} ·
            risk {d.performance.riskScore}/10, computed exactly as on leader profiles, from your own
            fills and fees.
          </p>
        )}
      </section>
      <CopyRecord d={d} />
      {!readOnly && (
        <p className="muted" style={{ fontSize: "0.85rem" }} aria-live="polite">
          Updates every 2 seconds{q.isFetching ? " · refreshing…" : ""}.
        </p>
      )}
    </div>
  );
}
