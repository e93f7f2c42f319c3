"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import Link from "next/link";
import { useState, type FormEvent } from "react";
import type { AppRouter } from "@/server/api/root";
import { PerformanceCharts } from "./charts";
import { StatusBadge } from "./dashboard";
import {
  ago,
  dateTime,
  drawdown,
  duration,
  money,
  pct,
  qty,
  REASON_TEXT,
  signClass,
  ORDER_STATUS,
} from "./format";
import { useTRPC } from "./trpc";

type Detail = inferRouterOutputs<AppRouter>["copies"]["detail"];
type LimitKey = keyof Detail["limits"];

const LIMIT_FIELDS: Array<{ key: LimitKey; label: string; int?: boolean }> = [
  { key: "copyStopLossPct", label: "Copy stop-loss (%)" },
  { key: "maxSymbolExposure", label: "Max exposure per instrument (USD)" },
  { key: "maxOpenPositions", label: "Max open positions", int: true },
  { key: "maxSlippageBps", label: "Max slippage (basis points)", int: true },
  { key: "dailyLossLimit", label: "Daily loss limit (USD)" },
];

const ACTION_TEXT: Record<string, string> = {
  placed: "Copied",
  reduced: "Reduced",
  skipped: "Skipped",
  none: "Nothing to do",
};
export function CopyDetail({ initial }: { initial: Detail }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const q = useQuery({
    ...trpc.copies.detail.queryOptions({ id: initial.id }),
    initialData: initial,
    refetchInterval: 2_000,
  });
  const d = q.data;
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const refresh = () =>
    qc.invalidateQueries({ queryKey: trpc.copies.detail.queryKey({ id: d.id }) });
  const handlers = (ok: string) => ({
    onSuccess: async () => {
      setMsg({ ok: true, text: ok });
      await refresh();
    },
    onError: (e: { message: string }) => setMsg({ ok: false, text: e.message }),
  });
  const pause = useMutation(
    trpc.copies.pause.mutationOptions(
      handlers("Paused. New buying is held back; reductions still follow the leader."),
    ),
  );
  const resume = useMutation(
    trpc.copies.resume.mutationOptions(handlers("Resumed. The next leader trade is copied.")),
  );
  const stop = useMutation(trpc.copies.stop.mutationOptions(handlers("Stopped.")));
  const setAlloc = useMutation(
    trpc.copies.setAllocation.mutationOptions(
      handlers("Amount changed; your share is fixed again from the leader's account now."),
    ),
  );
  const setLimits = useMutation(
    trpc.copies.setLimits.mutationOptions(
      handlers("Limits saved. They apply from the next leader trade."),
    ),
  );

  const [closeOnStop, setCloseOnStop] = useState(true);
  const [confirmStop, setConfirmStop] = useState(false);
  const [alloc, setAllocInput] = useState("");
  const [limits, setLimitsInput] = useState<Record<LimitKey, string>>(() => ({
    copyStopLossPct: d.limits.copyStopLossPct ?? "",
    maxSymbolExposure: d.limits.maxSymbolExposure ?? "",
    maxOpenPositions: d.limits.maxOpenPositions?.toString() ?? "",
    maxSlippageBps: d.limits.maxSlippageBps?.toString() ?? "",
    dailyLossLimit: d.limits.dailyLossLimit ?? "",
  }));

  function saveLimits(e: FormEvent) {
    e.preventDefault();
    setMsg(null);
    const v = (k: LimitKey) => (limits[k].trim() === "" ? null : limits[k].trim());
    for (const f of LIMIT_FIELDS) {
      const x = v(f.key);
      if (x !== null && !(f.int ? /^\d+$/ : /^\d+(\.\d+)?$/).test(x))
        return setMsg({
          ok: false,
          text: `${f.label}: enter ${f.int ? "a whole number" : "a number"} or leave it empty.`,
        });
    }
    const n = (k: LimitKey) => (v(k) === null ? null : Number(v(k)));
    setLimits.mutate({
      id: d.id,
      limits: {
        copyStopLossPct: v("copyStopLossPct"),
        maxSymbolExposure: v("maxSymbolExposure"),
        maxOpenPositions: n("maxOpenPositions"),
        maxSlippageBps: n("maxSlippageBps"),
        dailyLossLimit: v("dailyLossLimit"),
      },
    });
  }

  const stopped = d.status === "stopped";
  const flagged = d.decisions.filter((x) => x.action === "skipped" || x.action === "reduced");
  return (
    <div className="stack">
      <header className="stack" style={{ gap: "0.3rem" }}>
        <h1>
          Copy of <Link href={`/leaders/${d.leader.handle}`}>{d.leader.name}</Link>{" "}
          <StatusBadge status={d.status} />
        </h1>
        <p className="muted" style={{ margin: 0 }}>
          Started {dateTime(d.startedAt)} ·{" "}
          {d.sizingMode === "proportional"
            ? "proportional"
            : d.sizingMode === "multiplier"
              ? `multiplier ${d.factor}`
              : `fixed ${money(d.notional)} per trade`}{" "}
          · amount {money(d.allocation ?? d.referenceCapital)} · share {d.ratio ?? "per trade"} ·
          terms v{d.agreementVersion} agreed {dateTime(d.consentedAt)}
        </p>
        {stopped && (
          <p role="status">
            Stopped {dateTime(d.stoppedAt)}: {REASON_TEXT[d.stopReason ?? ""] ?? d.stopReason}{" "}
            {d.closeOnStop
              ? "Its positions are closed at market."
              : "Its positions were kept for you."}
          </p>
        )}
      </header>
      {q.isError && (
        <p role="alert" className="error">
          Live updates failed ({q.error.message}); showing the last known state.
        </p>
      )}

      <section className="grid" aria-label="Health and results">
        <div className="card stat-card">
          <div className="label">Last copied</div>
          <div className="value" data-testid="last-replicated">
            {d.health.lastReplicatedAt ? ago(d.health.lastReplicatedAt) : "no trades yet"}
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

      {msg && (
        <p role={msg.ok ? "status" : "alert"} className={msg.ok ? "pos" : "error"}>
          {msg.text}
        </p>
      )}

      {!stopped && (
        <section className="card stack" aria-labelledby="controls">
          <h2 id="controls" style={{ margin: 0 }}>
            Controls
          </h2>
          <div className="row">
            {d.status === "active" ? (
              <button
                type="button"
                onClick={() => pause.mutate({ id: d.id })}
                disabled={pause.isPending}
              >
                Pause copying
              </button>
            ) : (
              <button
                type="button"
                onClick={() => resume.mutate({ id: d.id })}
                disabled={resume.isPending}
              >
                Resume copying
              </button>
            )}
            <button
              type="button"
              className="secondary"
              onClick={() => setConfirmStop((v) => !v)}
              aria-expanded={confirmStop}
            >
              Stop copying…
            </button>
          </div>
          {confirmStop && (
            <div className="note stack" style={{ gap: "0.5rem" }}>
              <div role="radiogroup" aria-label="Positions when stopping">
                <label className="inline">
                  <input
                    type="radio"
                    name="close"
                    checked={closeOnStop}
                    onChange={() => setCloseOnStop(true)}
                  />
                  Close the copy&apos;s positions at market
                </label>
                <label className="inline">
                  <input
                    type="radio"
                    name="close"
                    checked={!closeOnStop}
                    onChange={() => setCloseOnStop(false)}
                  />
                  Keep the positions; I will manage them
                </label>
              </div>
              <div className="row">
                <button
                  type="button"
                  className="danger"
                  disabled={stop.isPending}
                  onClick={() => stop.mutate({ id: d.id, closePositions: closeOnStop })}
                >
                  Stop this copy
                </button>
                <button type="button" className="secondary" onClick={() => setConfirmStop(false)}>
                  Keep copying
                </button>
              </div>
            </div>
          )}
          <form
            className="toolbar"
            style={{ margin: 0 }}
            onSubmit={(e) => {
              e.preventDefault();
              setMsg(null);
              if (!/^\d+(\.\d{1,2})?$/.test(alloc.trim()) || Number(alloc) <= 0)
                return setMsg({ ok: false, text: "New amount: enter an amount such as 6000." });
              setAlloc.mutate({ id: d.id, allocation: alloc.trim() });
            }}
          >
            <label>
              New amount for this copy (USD)
              <input
                inputMode="decimal"
                value={alloc}
                onChange={(e) => setAllocInput(e.target.value)}
                placeholder={d.allocation ?? d.referenceCapital}
              />
              <span className="hint">
                Raise it to add funds, lower it to withdraw. Available: {money(d.funds.available)}.
              </span>
            </label>
            <button type="submit" disabled={setAlloc.isPending}>
              Change amount
            </button>
          </form>
          <details>
            <summary>Edit risk limits</summary>
            <form
              onSubmit={saveLimits}
              className="stack"
              style={{ marginTop: "0.75rem" }}
              noValidate
            >
              <div className="field-grid">
                {LIMIT_FIELDS.map((f) => (
                  <label key={f.key}>
                    {f.label}
                    <input
                      inputMode="decimal"
                      value={limits[f.key]}
                      onChange={(e) => setLimitsInput((l) => ({ ...l, [f.key]: e.target.value }))}
                    />
                  </label>
                ))}
              </div>
              <p className="hint" style={{ margin: 0 }}>
                Leave a field empty for no limit. Limits hold back increases only; reductions always
                follow the leader.
              </p>
              <div>
                <button type="submit" disabled={setLimits.isPending}>
                  Save limits
                </button>
              </div>
            </form>
          </details>
        </section>
      )}

      <section aria-labelledby="positions">
        <h2 id="positions">Positions beside the leader&apos;s</h2>
        {d.positions.length === 0 ? (
          <p className="card muted" role="status">
            No positions yet. When {d.leader.name} trades, your scaled position appears here.
          </p>
        ) : (
          <div className="table-wrap">
            <table data-testid="positions-table">
              <thead>
                <tr>
                  <th scope="col">Instrument</th>
                  <th scope="col" className="num">
                    You hold
                  </th>
                  <th scope="col" className="num">
                    Your target
                  </th>
                  <th scope="col" className="num hide-sm">
                    Leader holds
                  </th>
                  <th scope="col" className="num hide-sm">
                    Avg cost
                  </th>
                  <th scope="col" className="num">
                    Unrealized
                  </th>
                  <th scope="col" className="num hide-sm">
                    Realized
                  </th>
                  <th scope="col" className="num hide-sm">
                    Fees
                  </th>
                </tr>
              </thead>
              <tbody>
                {d.positions.map((p) => (
                  <tr key={p.symbol} data-testid={`position-${p.symbol}`}>
                    <td>
                      {p.symbol}{" "}
                      {p.inLine === false && (
                        <span
                          className="badge warn"
                          title="Your position differs from the target; the next trade or reconciliation corrects it"
                        >
                          {p.pendingQty !== "0" ? "order working" : "differs"}
                        </span>
                      )}
                    </td>
                    <td className="num" data-testid="position-qty">
                      {qty(p.qty, { sign: true })}
                    </td>
                    <td className="num">
                      {p.target === null ? "—" : qty(p.target, { sign: true })}
                    </td>
                    <td className="num hide-sm">{qty(p.leaderQty, { sign: true })}</td>
                    <td className="num hide-sm">
                      {p.qty === "0" ? "—" : money(p.avgCost, p.currency)}
                    </td>
                    <td className={`num ${signClass(p.unrealized)}`}>
                      {money(p.unrealized, p.currency, { sign: true })}
                    </td>
                    <td className={`num hide-sm ${signClass(p.realized)}`}>
                      {money(p.realized, p.currency, { sign: true })}
                    </td>
                    <td className="num hide-sm">{money(p.fees, p.currency)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <p className="muted" style={{ fontSize: "0.85rem" }}>
          Your target is your share of the leader&apos;s position, rounded down to the
          instrument&apos;s step.
        </p>
      </section>

      <section aria-labelledby="flagged">
        <h2 id="flagged">Skipped and reduced trades</h2>
        {flagged.length === 0 ? (
          <p className="card muted" role="status">
            None: every leader trade so far was copied in full.
          </p>
        ) : (
          <DecisionTable rows={flagged} testId="flagged-table" />
        )}
      </section>

      <section aria-labelledby="errors">
        <h2 id="errors">Execution errors</h2>
        {d.executionErrors.length === 0 ? (
          <p className="card muted">No errors.</p>
        ) : (
          <ul className="card">
            {d.executionErrors.map((o) => (
              <li key={o.id}>
                {dateTime(o.createdAt)} · {o.side} {qty(o.qty)} {o.symbol}:{" "}
                {ORDER_STATUS[o.status] ?? o.status}
                {o.rejectReason && ` — ${o.rejectReason.replace(/_/g, " ").toLowerCase()}`}
                {o.attempts > 1 && ` (after ${o.attempts} attempts)`}
              </li>
            ))}
          </ul>
        )}
      </section>

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

      <details className="card">
        <summary>Every copy decision and order</summary>
        <h3>Decisions</h3>
        {d.decisions.length === 0 ? (
          <p className="muted">None yet.</p>
        ) : (
          <DecisionTable rows={d.decisions} testId="decisions-table" />
        )}
        <h3>Orders</h3>
        {d.orders.length === 0 ? (
          <p className="muted">None yet.</p>
        ) : (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Order</th>
                  <th scope="col">Status</th>
                  <th scope="col" className="num">
                    Filled
                  </th>
                  <th scope="col" className="num">
                    Avg price
                  </th>
                </tr>
              </thead>
              <tbody>
                {d.orders.map((o) => (
                  <tr key={o.id}>
                    <td>{dateTime(o.createdAt)}</td>
                    <td>
                      {o.side === "buy" ? "Buy" : "Sell"} {qty(o.qty)} {o.symbol}{" "}
                      <span className="muted">
                        (
                        {o.origin === "copy"
                          ? "copy"
                          : o.origin === "risk"
                            ? "risk close"
                            : o.origin}
                        )
                      </span>
                    </td>
                    <td>{ORDER_STATUS[o.status] ?? o.status}</td>
                    <td className="num">{qty(o.filledQty)}</td>
                    <td className="num">{o.avgPrice ? money(o.avgPrice) : "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </details>
      <p className="muted" style={{ fontSize: "0.85rem" }} aria-live="polite">
        Updates every 2 seconds{q.isFetching ? " · refreshing…" : ""}.
      </p>
    </div>
  );
}

function DecisionTable({ rows, testId }: { rows: Detail["decisions"]; testId: string }) {
  return (
    <div className="table-wrap">
      <table data-testid={testId}>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Leader trade</th>
            <th scope="col">What happened</th>
            <th scope="col">Why</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id} data-testid="decision-row">
              <td>{dateTime(r.at)}</td>
              <td>
                {r.leaderSide
                  ? `${r.leaderSide === "buy" ? "Bought" : "Sold"} ${qty(r.leaderQty)} ${r.symbol}`
                  : r.symbol}
                {r.leaderPrice && <span className="muted"> at {money(r.leaderPrice)}</span>}
              </td>
              <td>
                {ACTION_TEXT[r.action] ?? r.action}
                {r.action !== "skipped" &&
                  r.orderQty !== "0" &&
                  ` ${qty(r.orderQty, { sign: true })}`}
                <span className="muted"> (target {qty(r.target, { sign: true })})</span>
              </td>
              <td>
                <span className="badge">{r.reason}</span> {REASON_TEXT[r.reason] ?? ""}
                {r.checks.some((c) => !c.passed) && (
                  <div className="muted" style={{ fontSize: "0.8rem" }}>
                    {r.checks
                      .filter((c) => !c.passed)
                      .map((c) => c.detail)
                      .join("; ")}
                  </div>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
