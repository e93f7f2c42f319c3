import Link from "next/link";
import { AdminBreakers } from "@/components/admin-breakers";
import { dateTime, qty } from "@/components/format";
import { serverCaller } from "@/server/api/server-caller";
import { getViewer } from "@/server/auth/session";

type Search = Promise<{ order?: string }>;

export default async function AdminPage({ searchParams }: { searchParams: Search }) {
  const sp = await searchParams;
  const api = await serverCaller();
  const viewer = await getViewer();
  const o = await api.admin.overview();
  const runs = await api.admin.reconciliations();
  const trace = sp.order
    ? await api.admin
        .trace({ ref: sp.order })
        .catch((e: unknown) => (e instanceof Error ? e.message : "Not found"))
    : null;
  const stats: Array<[string, number]> = [
    ["Users", o.users],
    ["Leaders", o.leaders],
    ["Active copies", o.activeCopies],
    ["Orders", o.orders],
    ["Open circuit breakers", o.openBreakers],
  ];
  return (
    <section>
      <h1>Admin console</h1>
      <p>
        <Link href="/admin/audit">Audit log</Link>
      </p>
      <div className="grid">
        {stats.map(([label, n]) => (
          <div className="card" key={label}>
            <div className="muted">{label}</div>
            <div className="stat">{n}</div>
          </div>
        ))}
      </div>

      <section className="card" style={{ marginTop: "1rem" }}>
        <h2>Trace an order</h2>
        <form className="toolbar" method="get">
          <label>
            Client order id or order id
            <input name="order" defaultValue={sp.order ?? ""} placeholder="cp-…" />
          </label>
          <button type="submit">Trace</button>
        </form>
        {typeof trace === "string" && (
          <p role="alert" className="error">
            {trace}
          </p>
        )}
        {trace && typeof trace !== "string" && (
          <div data-testid="trace">
            <p>
              <strong>{trace.order.clientOrderId}</strong> — {trace.order.side}{" "}
              {qty(trace.order.qty)} {trace.order.symbol}, {trace.order.status} (origin{" "}
              {trace.order.origin}) for {trace.account?.email}
            </p>
            {trace.leaderFill && (
              <p>
                Caused by leader{" "}
                <Link href={`/leaders/${trace.leader?.handle}`}>@{trace.leader?.handle}</Link> fill{" "}
                {trace.leaderFill.brokerTradeId}: {trace.leaderFill.side}{" "}
                {qty(trace.leaderFill.qty)} {trace.leaderFill.symbol} @ {trace.leaderFill.price} at{" "}
                {dateTime(trace.leaderFill.filledAt)} (leader position after:{" "}
                {qty(trace.leaderFill.positionAfter)}).
              </p>
            )}
            {trace.decision && (
              <>
                <p>
                  Decision: target {qty(trace.decision.target)}, order{" "}
                  {qty(trace.decision.orderQty, { sign: true })}, {trace.decision.action} (
                  {trace.decision.reason})
                </p>
                <ul>
                  {trace.decision.checks.map((c, i) => (
                    <li key={i}>
                      {c.passed ? "✓" : "✗"} {c.check}: {c.detail}
                    </li>
                  ))}
                </ul>
              </>
            )}
            <p className="muted">
              {trace.fills.length} fill(s); {trace.events.length} event(s):{" "}
              {trace.events.map((e) => e.type).join(" → ")}
            </p>
          </div>
        )}
      </section>

      <div style={{ marginTop: "1rem" }}>
        <AdminBreakers canChange={viewer?.role === "admin"} />
      </div>

      <section className="card" style={{ marginTop: "1rem" }}>
        <h2>Reconciliation</h2>
        {runs.length === 0 ? (
          <p>No runs yet.</p>
        ) : (
          <ul>
            {runs.map((r) => (
              <li key={r.id}>
                {dateTime(r.startedAt)} — {r.trigger}: {r.mismatches} mismatch(es), {r.actions}{" "}
                action(s)
              </li>
            ))}
          </ul>
        )}
      </section>
    </section>
  );
}
