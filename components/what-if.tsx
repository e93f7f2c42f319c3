"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState, type FormEvent } from "react";
import type { ChartPoint } from "./chart-scale";
import { PerformanceCharts } from "./charts";
import { money } from "./format";
import { GrowthVsLeader } from "./growth-vs-leader";
import { REASON_WORDS } from "./reason-words";
import { useTRPC } from "./trpc";
import { Waterfall } from "./why-different";
import { DECIMAL_RULES, decimalProblem } from "@/server/domain/inputs";
import type { WhyDifferent } from "@/server/domain/attribution";

type Mode = "proportional" | "multiplier" | "fixed_notional";
type Result = {
  status: string;
  equity: ChartPoint[];
  leader: ChartPoint[];
  decisions: Array<{
    leaderFillId: string | null;
    symbol: string;
    target: string;
    orderQty: string;
    action: string;
    reason: string;
  }>;
  decisionCount: number;
  reasons: Record<string, number>;
  feesTotal: string;
  feesAccrued: string;
  whyDifferent: WhyDifferent | null;
};

const blank = (v: string) => (v.trim() === "" ? null : v.trim());

/**
 * What if I had copied this leader? The form records a run; the worker replays the
 * leader's recorded trades and quotes through the real engine with these settings
 * (docs/adr/0066) while this page polls its progress.
 */
export function WhatIf({
  leader,
}: {
  leader: { id: string; handle: string; name: string; feePct: string };
}) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [amount, setAmount] = useState("10000");
  const [mode, setMode] = useState<Mode>("proportional");
  const [factor, setFactor] = useState("1");
  const [notional, setNotional] = useState("1000");
  const [days, setDays] = useState<"30" | "90" | "180">("30");
  const [stopLoss, setStopLoss] = useState("");
  const [exposure, setExposure] = useState("");
  const [openPositions, setOpenPositions] = useState("");
  const [slippage, setSlippage] = useState("");
  const [dailyLoss, setDailyLoss] = useState("");
  const [perfFee, setPerfFee] = useState(leader.feePct);
  const [mgmtFee, setMgmtFee] = useState("");
  const [platformFee, setPlatformFee] = useState("");
  const [error, setError] = useState<string | null>(null);

  const latest = useQuery(trpc.whatif.latest.queryOptions({ leaderId: leader.id }));
  const [runId, setRunId] = useState<string | null>(null);
  const id = runId ?? latest.data?.id ?? null;
  const run = useQuery({
    ...trpc.whatif.run.queryOptions({ id: id ?? "00000000-0000-4000-8000-000000000000" }),
    enabled: id !== null,
    refetchInterval: (q) =>
      q.state.data && (q.state.data.status === "queued" || q.state.data.status === "running")
        ? 1_000
        : false,
  });
  const start = useMutation(
    trpc.whatif.start.mutationOptions({
      onSuccess: (r) => {
        setError(null);
        setRunId(r.id);
        void qc.invalidateQueries({
          queryKey: trpc.whatif.latest.queryKey({ leaderId: leader.id }),
        });
      },
      onError: (e) => setError(e.message),
    }),
  );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    // The shared rule first, as every form does: a bad amount is answered without a request.
    const problem = decimalProblem(amount, DECIMAL_RULES.amount);
    if (problem) {
      setError(problem);
      return;
    }
    const sizing =
      mode === "multiplier"
        ? { mode, amount, factor }
        : mode === "fixed_notional"
          ? { mode, amount, notional }
          : { mode, amount };
    start.mutate({
      leaderId: leader.id,
      days,
      sizing: sizing as never,
      onInsufficientFunds: "reduce",
      limits: {
        copyStopLossPct: blank(stopLoss),
        maxSymbolExposure: blank(exposure),
        maxOpenPositions: blank(openPositions) === null ? null : (Number(openPositions) as never),
        maxSlippageBps: blank(slippage) === null ? null : (Number(slippage) as never),
        dailyLossLimit: blank(dailyLoss),
      },
      fees: {
        performanceFeePct: blank(perfFee),
        managementFeePctYear: blank(mgmtFee),
        platformFeeBps: blank(platformFee),
      },
    });
  };
  const r = run.data;
  const live = r && (r.status === "queued" || r.status === "running");
  const result = r?.status === "done" ? (r.result as unknown as Result) : null;
  const field = (label: string, value: string, set: (v: string) => void, hint?: string) => (
    <label className="stack" style={{ gap: "0.2rem" }}>
      <span>{label}</span>
      <input value={value} onChange={(e) => set(e.target.value)} inputMode="decimal" />
      {hint && <span className="muted">{hint}</span>}
    </label>
  );
  const copyHref = `/leaders/${leader.handle}/copy?${new URLSearchParams({
    amount,
    mode,
    ...(mode === "multiplier" ? { factor } : {}),
    ...(mode === "fixed_notional" ? { notional } : {}),
  }).toString()}`;

  return (
    <div className="stack">
      <form className="card stack" onSubmit={submit} aria-label="What-if settings">
        <div className="split">
          {field("Amount", amount, setAmount)}
          <label className="stack" style={{ gap: "0.2rem" }}>
            <span>Sizing</span>
            <select value={mode} onChange={(e) => setMode(e.target.value as Mode)}>
              <option value="proportional">In proportion to the leader</option>
              <option value="multiplier">Multiplier of the leader&apos;s quantity</option>
              <option value="fixed_notional">Fixed amount per trade</option>
            </select>
          </label>
          {mode === "multiplier" && field("Multiplier", factor, setFactor)}
          {mode === "fixed_notional" && field("Amount per trade", notional, setNotional)}
          <label className="stack" style={{ gap: "0.2rem" }}>
            <span>Period</span>
            <select value={days} onChange={(e) => setDays(e.target.value as typeof days)}>
              <option value="30">Last 30 days</option>
              <option value="90">Last 90 days</option>
              <option value="180">Last 180 days</option>
            </select>
          </label>
        </div>
        <details>
          <summary>Limits and fees</summary>
          <div className="split">
            {field("Copy stop-loss (%)", stopLoss, setStopLoss, "empty: none")}
            {field("Max exposure per instrument", exposure, setExposure)}
            {field("Max open positions", openPositions, setOpenPositions)}
            {field("Max slippage (bp)", slippage, setSlippage)}
            {field("Daily loss limit", dailyLoss, setDailyLoss)}
            {field("Performance fee (%)", perfFee, setPerfFee, "at most 30 %")}
            {field("Management fee (% a year)", mgmtFee, setMgmtFee, "at most 3 %")}
            {field("Platform fee (bp per trade)", platformFee, setPlatformFee)}
          </div>
        </details>
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        <div className="row">
          <button type="submit" disabled={start.isPending || Boolean(live)}>
            {live ? "Running…" : "Run the what-if"}
          </button>
          <span className="muted">
            Replays {leader.name}&apos;s recorded trades and quotes through the real copy engine.
          </span>
        </div>
      </form>

      {r && live && (
        <section className="card stack" aria-label="What-if progress">
          <label htmlFor="whatif-progress">
            {r.status === "queued" ? "Waiting for the engine…" : `Replaying: ${r.progress} %`}
          </label>
          <progress id="whatif-progress" max={100} value={r.progress} style={{ width: "100%" }} />
        </section>
      )}
      {r && (r.status === "failed" || r.status === "timed_out") && (
        <p role="alert" className="error">
          {r.error}
        </p>
      )}
      {result && r && (
        <section className="stack" aria-labelledby="whatif-result">
          <h2 id="whatif-result">
            If you had copied with {money(r.settings.amount)} for the last {r.days} days
          </h2>
          <p style={{ margin: 0 }}>
            {result.decisionCount} decisions ·{" "}
            {Object.entries(result.reasons)
              .map(([k, n]) => `${n} ${REASON_WORDS[k] ?? k}`)
              .join(", ")}{" "}
            · fees charged {money(result.feesTotal)}
          </p>
          <div className="split">
            {result.whyDifferent && <Waterfall why={result.whyDifferent} />}
            <GrowthVsLeader
              title="You vs the leader (what-if)"
              points={result.equity.map((p, i) => ({
                day: p.day,
                you: p.growth,
                leader: result.leader[i]?.growth ?? "0",
              }))}
            />
          </div>
          <PerformanceCharts points={result.equity} title="What-if value" />
          <div className="table-wrap">
            <table>
              <caption className="muted">The last {result.decisions.length} decisions</caption>
              <thead>
                <tr>
                  <th>Symbol</th>
                  <th>Target</th>
                  <th>Order</th>
                  <th>What happened</th>
                </tr>
              </thead>
              <tbody>
                {result.decisions.map((d, i) => (
                  <tr key={i}>
                    <td>{d.symbol}</td>
                    <td className="num">{d.target}</td>
                    <td className="num">{d.orderQty}</td>
                    <td>
                      {d.action} · {REASON_WORDS[d.reason] ?? d.reason}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <p>
            <Link href={copyHref} className="button">
              Copy with these settings
            </Link>
          </p>
        </section>
      )}
    </div>
  );
}
