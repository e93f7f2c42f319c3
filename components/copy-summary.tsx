import { Decimal } from "decimal.js";
import Link from "next/link";
import { StatusBadge } from "./dashboard";
import { duration, money, signClass } from "./format";
import { HealthLine } from "./health-line";
import { REASON_TEXT } from "./reason-words";
import type { CopyView } from "./copy-detail";
import { Ago, When } from "./time";

/** The engine's ratio (up to 20+ digits) as a person reads it: "0.05 × the leader's quantities". */
export function shareText(d: Pick<CopyView, "sizingMode" | "ratio" | "factor" | "notional">) {
  if (d.sizingMode === "fixed_notional") return `${money(d.notional)} per trade`;
  const r = d.sizingMode === "multiplier" ? d.factor : d.ratio;
  if (!r) return "share not fixed yet";
  const short = new Decimal(r).toSignificantDigits(3).toFixed();
  return `${short} × the leader's quantities`;
}

export function CopyHeader({ d }: { d: CopyView }) {
  const stopped = d.status === "stopped";
  return (
    <header className="stack" style={{ gap: "0.4rem" }}>
      <h1>
        Copy of <Link href={`/leaders/${d.leader.handle}`}>{d.leader.name}</Link>{" "}
        <StatusBadge status={d.status} />
      </h1>
      <p style={{ margin: 0 }} className="card">
        <HealthLine health={d.healthLine} referenceCapital={d.referenceCapital} />
      </p>
      <p className="muted" style={{ margin: 0 }}>
        Started <When at={d.startedAt} /> ·{" "}
        {d.sizingMode === "proportional"
          ? "proportional"
          : d.sizingMode === "multiplier"
            ? "multiplier"
            : "fixed amount"}{" "}
        · amount {money(d.allocation ?? d.referenceCapital)} ·{" "}
        <span title={d.ratio ?? undefined}>{shareText(d)}</span> · terms v{d.agreementVersion}{" "}
        agreed <When at={d.consentedAt} />
      </p>
      {stopped && (
        <p role="status" style={{ margin: 0 }}>
          Stopped <When at={d.stoppedAt} />:{" "}
          {REASON_TEXT[d.stopReason ?? ""] ?? "The copy was stopped."}{" "}
          {d.closeOnStop ? (
            "Its positions are closed at market."
          ) : (
            <>
              Its positions were kept for you: see them and close them in your{" "}
              <Link href="/portfolio">portfolio</Link>.
            </>
          )}
        </p>
      )}
    </header>
  );
}

export function CopyStats({ d }: { d: CopyView }) {
  return (
    <section className="grid" aria-label="Health and results">
      <div className="card stat-card">
        <div className="label">Last copied</div>
        <div className="value" data-testid="last-replicated">
          <Ago at={d.health.lastReplicatedAt} asOf={d.asOf} never="no trades yet" />
        </div>
        <div className="muted">
          {d.health.pendingLeaderEvents > 0
            ? `${d.health.pendingLeaderEvents} leader trade(s) waiting`
            : "up to date"}
          {d.health.lastLatencyMs !== null && ` · lag ${duration(d.health.lastLatencyMs)}`}
        </div>
      </div>
      <div className="card stat-card">
        <div className="label">Total P&amp;L</div>
        <div className={`value ${signClass(d.pnl.total)}`} data-testid="pnl-total">
          {money(d.pnl.total, "USD", { sign: true })}
        </div>
        <div className="muted">after fees</div>
      </div>
      <div className="card stat-card">
        <div className="label">Realized / unrealized</div>
        <div className="value" style={{ fontSize: "1.05rem" }}>
          <span className={signClass(d.pnl.realized)}>
            {money(d.pnl.realized, "USD", { sign: true })}
          </span>{" "}
          /{" "}
          <span className={signClass(d.pnl.unrealized)}>
            {money(d.pnl.unrealized, "USD", { sign: true })}
          </span>
        </div>
      </div>
      <div className="card stat-card">
        <div className="label">Fees paid</div>
        <div className="value">{money(d.pnl.fees)}</div>
        <div className="muted">commissions</div>
      </div>
      <div className="card stat-card">
        <div className="label">Execution errors</div>
        <div className={`value ${d.executionErrors.length ? "neg" : ""}`}>
          {d.executionErrors.length}
        </div>
      </div>
    </section>
  );
}
