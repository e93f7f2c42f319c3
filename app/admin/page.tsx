import type { Metadata } from "next";
import Link from "next/link";
import { AdminBreakers } from "@/components/admin-breakers";
import { dateTime, qty } from "@/components/format";
import { serverCaller } from "@/server/api/server-caller";
import { getViewer } from "@/server/auth/session";

export const metadata: Metadata = { title: "Admin console" };

type Search = Promise<{ order?: string; q?: string }>;

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
  const q = sp.q?.trim() ?? "";
  const found = q.length >= 2 ? await api.admin.search({ q }).catch(() => null) : null;
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
        {" · "}
        <Link href="/admin/applications">Leader applications</Link>
        {" · "}
        <Link href="/admin/flags">Leader flags</Link>
        {viewer?.role === "admin" && (
          <>
            {" · "}
            <Link href="/admin/operations">Operations</Link>
            {" · "}
            <Link href="/admin/revenue">Revenue</Link>
          </>
        )}
      </p>
      <div className="grid">
        {stats.map(([label, n]) => (
          <div className="card" key={label}>
            <div className="muted">{label}</div>
            <div className="stat">{n}</div>
          </div>
        ))}
      </div>

      <section className="card" style={{ marginTop: "1rem" }} aria-labelledby="search-h">
        <h2 id="search-h">Find a customer, leader, order or fill</h2>
        <form className="toolbar" method="get" role="search">
          <label>
            E-mail, name, handle, order id or trade id
            <input name="q" defaultValue={q} placeholder="bob@tandem.test" />
          </label>
          <button type="submit">Search</button>
        </form>
        {q.length === 1 && <p className="form-error">Search: type at least 2 characters.</p>}
        {found && <SearchResults found={found} />}
      </section>

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
              {trace.order.origin}) for{" "}
              <Link href={`/admin?q=${encodeURIComponent(trace.account?.email ?? "")}`}>
                {trace.account?.email}
              </Link>
              {trace.order.relationshipId && (
                <>
                  {" "}
                  · <Link href={`/admin/copies/${trace.order.relationshipId}`}>open the copy</Link>
                </>
              )}
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

type Found = Awaited<ReturnType<Awaited<ReturnType<typeof serverCaller>>["admin"]["search"]>>;

function SearchResults({ found }: { found: Found }) {
  const none =
    found.people.length + found.leaders.length + found.orders.length + found.fills.length === 0;
  if (none) return <p role="status">Nothing matches.</p>;
  return (
    <div className="stack" data-testid="search-results">
      {found.people.map((p) => (
        <div key={p.id}>
          <strong>{p.name}</strong>{" "}
          <span className="muted">
            {p.email} · {p.role}
          </span>
          {p.copies.length > 0 ? (
            <ul>
              {p.copies.map((c) => (
                <li key={c.id}>
                  <Link href={`/admin/copies/${c.id}`}>
                    Copy of {c.leaderName} ({c.status})
                  </Link>{" "}
                  <span className="muted">since {dateTime(c.startedAt)}</span>
                </li>
              ))}
            </ul>
          ) : (
            <p className="muted" style={{ margin: 0 }}>
              No copies.
            </p>
          )}
        </div>
      ))}
      {found.leaders.map((l) => (
        <div key={l.id}>
          Leader <Link href={`/leaders/${l.handle}`}>{l.name}</Link>{" "}
          <span className="muted">
            @{l.handle} · id {l.id}
          </span>
        </div>
      ))}
      {found.orders.map((o) => (
        <div key={o.id}>
          Order{" "}
          <Link href={`/admin?order=${encodeURIComponent(o.clientOrderId)}`}>
            {o.clientOrderId}
          </Link>
          : {o.side} {qty(o.qty)} {o.symbol}, {o.status}, for {o.email}
          {o.relationshipId && (
            <>
              {" "}
              · <Link href={`/admin/copies/${o.relationshipId}`}>its copy</Link>
            </>
          )}
        </div>
      ))}
      {found.fills.map((f) => (
        <div key={f.tradeId}>
          {f.charge ? (
            <>
              Broker commission {f.tradeId}: {f.fee} on {f.symbol}
            </>
          ) : (
            <>
              Fill {f.tradeId}: {qty(f.qty)} {f.symbol} @ {f.price}
            </>
          )}{" "}
          · order{" "}
          <Link href={`/admin?order=${encodeURIComponent(f.clientOrderId)}`}>
            {f.clientOrderId}
          </Link>
        </div>
      ))}
    </div>
  );
}
