import { money, qty, signClass } from "./format";
import type { CopyView } from "./copy-detail";

/** The copy's positions beside its targets (its share of the leader's). */
export function CopyPositions({ d }: { d: CopyView }) {
  return (
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
                  <td className="num">{p.target === null ? "—" : qty(p.target, { sign: true })}</td>
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
  );
}
