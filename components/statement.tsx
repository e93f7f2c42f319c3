import Link from "next/link";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";
import { day, money, signClass } from "./format";

type S = inferRouterOutputs<AppRouter>["fees"]["statement"];
type Period = S["periods"][number];
type Fee = Period["fees"][number];

const KIND: Record<Fee["kind"], string> = {
  platform: "Platform fee",
  management: "Management fee",
  performance: "Performance fee",
};

/** How a fee was computed, in words: its rate and what the rate was applied to. */
export function feeRule(f: Fee, ccy: string): string {
  if (f.kind === "platform")
    return `${f.rate} bps on ${money(f.base, ccy)} traded (${f.count} fill${f.count === 1 ? "" : "s"})`;
  if (f.kind === "management")
    return `${f.rate} % a year, accrued daily on equity: ${money(f.base, ccy, { dp: 8 })} accrued`;
  return `${f.rate} % of ${money(f.base, ccy)} above the high-water mark`;
}

const STATE: Record<Period["state"], string> = {
  settled: "settled",
  open: "so far (valued now)",
  unvalued: "no valuation kept",
};

function Row({
  label,
  v,
  ccy,
  sign,
}: {
  label: string;
  v: string | null;
  ccy: string;
  sign?: boolean;
}) {
  return (
    <>
      <dt>{label}</dt>
      <dd className={sign ? signClass(v) : undefined}>{money(v, ccy, { sign })}</dd>
    </>
  );
}

/**
 * A copy's statement: one card per fee period, each line from the engine's own records (see
 * server/queries/statements.ts), so the numbers add up from the start to the end of each.
 */
export function Statement({ s }: { s: S }) {
  const ccy = s.currency;
  return (
    <section className="stack" aria-labelledby="statement-title">
      <h1 id="statement-title">Statement: copying {s.leaderName}</h1>
      <p className="muted">
        Started {day(s.startedAt)}
        {s.stoppedAt ? `, stopped ${day(s.stoppedAt)}` : ""}. Fees per {s.feePeriod}: performance{" "}
        {s.terms.performanceFeePct ?? "0"} %, management {s.terms.managementFeePctYear ?? "0"} % a
        year, platform {s.terms.platformFeeBps ?? "0"} bps per trade.
        {s.readOnly ? " Read-only (staff view)." : ""}
      </p>
      <p className="row">
        <a className="button secondary" href={`/api/statements/${s.copyId}`} download>
          Download CSV
        </a>
        <Link href={`/copies/${s.copyId}`}>Back to the copy</Link>
      </p>
      {s.broker !== "paper" ? (
        <p className="note">
          Your account is at {s.broker}: Tandem cannot take fees from it, so fees are shown as owed.
        </p>
      ) : null}
      {s.periods.map((p) => (
        <article key={p.start} className="card stack" aria-label={`Period ${p.period}`}>
          <h2 style={{ margin: 0 }}>
            {p.period} <span className="badge">{STATE[p.state]}</span>
          </h2>
          <p className="muted" style={{ margin: 0 }}>
            {day(p.start)} – {day(p.end)}
          </p>
          {/* Labels wrap, figures keep their width: nothing pushes a 390 px phone sideways. */}
          <dl className="kv" style={{ gridTemplateColumns: "minmax(0, 1fr) auto" }}>
            <Row label="Equity at start" v={p.equityStart} ccy={ccy} />
            <Row label="Deposits" v={p.deposits} ccy={ccy} />
            <Row label="Withdrawals" v={p.withdrawals} ccy={ccy} />
            <Row label="Realized P&L" v={p.realizedPnl} ccy={ccy} sign />
            <Row label="Unrealized P&L at start" v={p.unrealizedStart} ccy={ccy} sign />
            <Row label="Unrealized P&L at end" v={p.unrealizedEnd} ccy={ccy} sign />
            <Row label="Commissions" v={p.commissions} ccy={ccy} />
            {p.fees.map((f) => (
              <FeeLine key={`${f.kind}-${f.at}-${f.rate}`} f={f} ccy={ccy} />
            ))}
            <Row label="Fees in total" v={p.feesTotal} ccy={ccy} />
            {p.feesReceivable !== "0" ? (
              <Row label="Fees owed" v={p.feesReceivable} ccy={ccy} />
            ) : null}
            <Row label="Equity at end" v={p.equityEnd} ccy={ccy} />
            <Row label="High-water mark before" v={p.highWaterMarkBefore} ccy={ccy} />
            <Row label="High-water mark after" v={p.highWaterMarkAfter} ccy={ccy} />
          </dl>
          {p.check !== "0" ? (
            <p className="error">
              These figures do not add up by {money(p.check, ccy)}: please tell support.
            </p>
          ) : null}
        </article>
      ))}
    </section>
  );
}

function FeeLine({ f, ccy }: { f: Fee; ccy: string }) {
  return (
    <>
      <dt>
        {KIND[f.kind]}
        <br />
        <small>{feeRule(f, ccy)}</small>
      </dt>
      <dd title={f.amount}>{money(f.amount, ccy)}</dd>
    </>
  );
}
