import { money, qty, ORDER_STATUS } from "./format";
import { REASON_TEXT, reasonWords } from "./reason-words";
import type { CopyView } from "./copy-detail";
import { When } from "./time";

const ACTION_TEXT: Record<string, string> = {
  placed: "Copied",
  reduced: "Reduced",
  skipped: "Skipped",
  none: "Nothing to do",
};

/** Skipped and reduced trades with their reasons, execution errors, and the full record. */
export function CopyActivity({ d }: { d: CopyView }) {
  const flagged = d.decisions.filter((x) => x.action === "skipped" || x.action === "reduced");
  return (
    <>
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
                <When at={o.createdAt} /> · {o.side} {qty(o.qty)} {o.symbol}:{" "}
                {ORDER_STATUS[o.status] ?? o.status}
                {o.rejectReason && ` — ${reasonWords(o.rejectReason)}`}
                {o.attempts > 1 && ` (after ${o.attempts} attempts)`}
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}

export function CopyRecord({ d }: { d: CopyView }) {
  return (
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
                <th scope="col" className="num hide-sm">
                  Avg price
                </th>
              </tr>
            </thead>
            <tbody>
              {d.orders.map((o) => (
                <tr key={o.id}>
                  <td>
                    <When at={o.createdAt} />
                  </td>
                  <td>
                    {o.side === "buy" ? "Buy" : "Sell"} {qty(o.qty)} {o.symbol}{" "}
                    <span className="muted">
                      (
                      {o.origin === "copy"
                        ? "copy"
                        : o.origin === "risk"
                          ? "risk close"
                          : o.origin === "reconcile"
                            ? "correction"
                            : o.origin}
                      )
                    </span>
                  </td>
                  <td>
                    {ORDER_STATUS[o.status] ?? o.status}
                    {o.rejectReason && (
                      <span className="muted"> — {reasonWords(o.rejectReason)}</span>
                    )}
                  </td>
                  <td className="num">{qty(o.filledQty)}</td>
                  <td className="num hide-sm">{o.avgPrice ? money(o.avgPrice) : "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </details>
  );
}

function DecisionTable({ rows, testId }: { rows: CopyView["decisions"]; testId: string }) {
  return (
    <div className="table-wrap">
      <table data-testid={testId}>
        <thead>
          <tr>
            <th scope="col" className="hide-sm">
              Time
            </th>
            <th scope="col">Leader trade</th>
            <th scope="col">What happened</th>
            <th scope="col">Why</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id} data-testid="decision-row">
              <td className="hide-sm">
                <When at={r.at} />
              </td>
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
                <span className="badge" title={r.reason}>
                  {r.reason}
                </span>{" "}
                {REASON_TEXT[r.reason] ?? reasonWords(r.reason)}
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
