import { serverCaller } from "@/server/api/server-caller";

export default async function AdminPage() {
  const api = await serverCaller();
  const o = await api.admin.overview();
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
      <div className="grid">
        {stats.map(([label, n]) => (
          <div className="card" key={label}>
            <div className="muted">{label}</div>
            <div className="stat">{n}</div>
          </div>
        ))}
      </div>
    </section>
  );
}
