import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";
import { day, money } from "./format";

type E = inferRouterOutputs<AppRouter>["fees"]["earnings"];

const STATE: Record<E["rows"][number]["state"], string> = {
  paid: "paid",
  pending: "pending",
  owed: "owed by the follower",
};

/** A leader's earnings: totals, then per period and copy, the leader's part of each fee. */
export function Earnings({ e }: { e: E }) {
  return (
    <section className="stack" aria-labelledby="earnings-title">
      <h1 id="earnings-title">Your earnings</h1>
      <div className="grid">
        <div className="card stat-card">
          <div className="label">Paid</div>
          <div className="value">{money(e.paid)}</div>
        </div>
        <div className="card stat-card">
          <div className="label">Pending</div>
          <div className="value">{money(e.pending)}</div>
        </div>
        <div className="card stat-card">
          <div className="label">Owed by followers at other brokers</div>
          <div className="value">{money(e.owed)}</div>
        </div>
      </div>
      <p className="muted">
        Your part of each management and performance fee, after the platform&apos;s share. Paid once
        the cash has reached your earnings account.
      </p>
      {e.rows.length === 0 ? (
        <p className="card">No fees charged yet: they are charged at the end of each period.</p>
      ) : (
        e.periods.map((p) => (
          <article key={p.period} className="card stack" aria-label={`Period ${p.period}`}>
            <h2 style={{ margin: 0 }}>
              {p.period}: {money(p.earned)}
            </h2>
            <ul className="stack" style={{ listStyle: "none", padding: 0, margin: 0 }}>
              {e.rows
                .filter((r) => r.period === p.period)
                .map((r) => (
                  <li key={`${r.copyId}-${r.kind}-${r.state}`}>
                    {r.follower} · {r.kind} fee {money(r.fee)} → you {money(r.earned)}{" "}
                    <span className={`badge${r.state === "paid" ? " good" : " warn"}`}>
                      {STATE[r.state]}
                    </span>{" "}
                    <span className="muted">{day(r.at)}</span>
                  </li>
                ))}
            </ul>
          </article>
        ))
      )}
    </section>
  );
}
