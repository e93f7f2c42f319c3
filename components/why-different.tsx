"use client";
import { useQuery } from "@tanstack/react-query";
import { Decimal } from "decimal.js";
import { Bar, BarChart, Cell, XAxis, YAxis } from "recharts";
import { CHART_MARGIN, ChartFrame, chartGrid } from "./chart-frame";
import type { WhyDifferent as Why } from "@/server/domain/attribution";
import { money } from "./format";
import { GrowthVsLeader } from "./growth-vs-leader";
import { REASON_WORDS } from "./reason-words";
import { useTRPC } from "./trpc";

const MINUS = "\u2212";

/** Each part in words: what it is and how it is measured (docs/adr/0065). */
const PARTS: Record<string, { label: string; words: string }> = {
  ratio: {
    label: "Sizing and idle cash",
    words:
      "The leader's trades at the ratio your copy used, against the leader's return on your whole amount: cash your ratio left unused (or used beyond it), and ratio changes after deposits.",
  },
  rounding: {
    label: "Rounding to whole quantities",
    words: "Each target is rounded toward zero to the instrument's quantity step.",
  },
  catch_up: {
    label: "Caught up later",
    words:
      "Gaps made up by a later order (the next leader trade, or reconciliation), from the price it was made up at.",
  },
  execution: {
    label: "Execution price",
    words:
      "Your fill price against the leader's: the time to copy (latency) and the spread (slippage).",
  },
  commissions: {
    label: "Commissions",
    words: "The broker's commissions you paid, less the leader's at your ratio.",
  },
  fees: { label: "Fees", words: "Platform, management and performance fees charged to this copy." },
  book_rounding: {
    label: "Rounding in the books",
    words: "Average costs stored to finite digits.",
  },
};

export function partLabel(p: { key: string; reason: string | null }): string {
  if (p.key === "skipped") {
    if (p.reason === "PENDING") return "Not yet copied";
    return `Skipped or reduced: ${REASON_WORDS[p.reason ?? ""] ?? p.reason}`;
  }
  return PARTS[p.key]?.label ?? p.key;
}

function partWords(p: { key: string; reason: string | null }): string {
  if (p.key === "skipped")
    return p.reason === "PENDING"
      ? "Leader trades the engine has not copied yet."
      : "What the leader's trade would have made on the part your copy did not take, from the leader's price.";
  return PARTS[p.key]?.words ?? "";
}

/** Percentage points, signed with a real minus: "−0.30 pp". */
function points(v: string): string {
  const d = new Decimal(v);
  const sign = d.isZero() ? "" : d.isNeg() ? MINUS : "+";
  return `${sign}${d.abs().toFixed(2)} pp`;
}
const neg = (v: string) => new Decimal(v).neg().toFixed();

/**
 * The waterfall: from the leader's result on your amount, each part's effect on you, to
 * your result. Effects are shown as gains (+) or costs (−) to you; they add up to the
 * difference shown, to the cent and to the hundredth of a point.
 */
export function Waterfall({ why }: { why: Why }) {
  const c = why.currency;
  let level = new Decimal(why.leaderPnl);
  const rows: Array<{ name: string; range: [number, number]; tone: string }> = [
    { name: "Leader", range: [0, level.toNumber()], tone: "#8a8f9c" },
  ];
  const shown = why.parts.filter((p) => !new Decimal(p.amount).isZero());
  for (const p of shown) {
    const next = level.minus(p.amount);
    rows.push({
      name: partLabel(p),
      range: [Decimal.min(level, next).toNumber(), Decimal.max(level, next).toNumber()],
      tone: new Decimal(p.amount).isPos() ? "#c62828" : "#2e7d32",
    });
    level = next;
  }
  rows.push({ name: "You", range: [0, new Decimal(why.copyPnl).toNumber()], tone: "#1e5eff" });
  const differenceCents = neg(
    why.parts.reduce((s, p) => s.plus(p.cents), new Decimal(0)).toFixed(),
  );
  const differencePoints = neg(why.parts.reduce((s, p) => s.plus(p.pct), new Decimal(0)).toFixed());
  return (
    <ChartFrame
      label="Why your numbers differ"
      title="Why your numbers differ"
      stack
      caption={
        <>
          on your {money(why.capital, c)}: the leader {money(why.leaderPnl, c, { sign: true })} (
          {points(why.leaderReturnPct)}), you {money(why.copyPnl, c, { sign: true })} (
          {points(why.copyReturnPct)})
        </>
      }
      after={
        <>
          <ol className="why-parts" style={{ margin: 0, paddingLeft: "1.2rem" }}>
            {shown.map((p) => (
              <li key={`${p.key}:${p.reason ?? ""}`} data-testid="why-part">
                <strong>{partLabel(p)}</strong>:{" "}
                <span data-testid="why-part-money">{money(neg(p.cents), c, { sign: true })}</span> (
                <span data-testid="why-part-points">{points(neg(p.pct))}</span>)
                <br />
                <span className="muted">{partWords(p)}</span>
              </li>
            ))}
          </ol>
          <p style={{ margin: 0 }}>
            You vs the leader:{" "}
            <strong data-testid="why-total-money">
              {money(differenceCents, c, { sign: true })}
            </strong>{" "}
            (<span data-testid="why-total-points">{points(differencePoints)}</span>)
            {shown.length === 0 && " — your copy has matched the leader exactly so far."}
          </p>
        </>
      }
    >
      <BarChart data={rows} margin={CHART_MARGIN}>
        {chartGrid}
        <XAxis dataKey="name" tick={false} height={4} />
        <YAxis tick={{ fontSize: 11 }} width={64} />
        <Bar dataKey="range" isAnimationActive={false}>
          {rows.map((r, i) => (
            <Cell key={i} fill={r.tone} />
          ))}
        </Bar>
      </BarChart>
    </ChartFrame>
  );
}

/** The copy page's panel: the waterfall beside "you vs the leader", live by polling. */
export function WhyDifferentPanel({ copyId }: { copyId: string }) {
  const trpc = useTRPC();
  const q = useQuery({
    ...trpc.whatif.whyDifferent.queryOptions({ id: copyId }),
    refetchInterval: 10_000,
  });
  if (q.isError)
    return (
      <p role="alert" className="error">
        The difference from the leader could not be worked out just now. Retrying…
      </p>
    );
  if (!q.data) return <p className="muted">Working out the difference from the leader…</p>;
  return (
    <section aria-labelledby="why" className="stack">
      <h2 id="why">You and the leader</h2>
      <div className="split">
        <Waterfall why={q.data.why} />
        <GrowthVsLeader points={q.data.growth} />
      </div>
    </section>
  );
}
