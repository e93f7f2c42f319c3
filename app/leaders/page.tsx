import Link from "next/link";
import { serverCaller } from "@/server/api/server-caller";
import { MIN_TRACK_RECORD_DAYS } from "@/server/queries/leaders";

export const dynamic = "force-dynamic";

type Search = Promise<{ sort?: string; q?: string; page?: string }>;

export default async function LeadersPage({ searchParams }: { searchParams: Search }) {
  const sp = await searchParams;
  const sort = sp.sort === "track_record" || sp.sort === "name" ? sp.sort : "followers";
  const page = Math.max(1, Number.parseInt(sp.page ?? "1", 10) || 1);
  const api = await serverCaller();
  const data = await api.leaders.list({ sort, search: sp.q || undefined, page, pageSize: 20 });
  return (
    <section>
      <h1>Leaders</h1>
      <p className="muted">
        Leaders need at least {MIN_TRACK_RECORD_DAYS} days of track record before they can be
        copied.
      </p>
      <form className="toolbar" method="get">
        <label>
          Search
          <input name="q" defaultValue={sp.q ?? ""} placeholder="Name or handle" />
        </label>
        <label>
          Sort by
          <select name="sort" defaultValue={sort}>
            <option value="followers">Followers</option>
            <option value="track_record">Track record length</option>
            <option value="name">Name</option>
          </select>
        </label>
        <button type="submit">Apply</button>
      </form>
      {data.items.length === 0 ? (
        <p className="card">No leaders match. Try a different search.</p>
      ) : (
        <div className="table-wrap">
          <table data-testid="leaders-table">
            <thead>
              <tr>
                <th scope="col">Leader</th>
                <th scope="col">Strategy</th>
                <th scope="col" className="num">
                  Followers
                </th>
                <th scope="col" className="num">
                  Track record
                </th>
              </tr>
            </thead>
            <tbody>
              {data.items.map((l) => (
                <tr key={l.id}>
                  <td>
                    <strong>{l.displayName}</strong> <span className="muted">@{l.handle}</span>{" "}
                    {!l.meetsTrackRecord && <span className="badge warn">Too new to copy</span>}
                    {!l.copyable && <span className="badge warn">Not copyable</span>}
                  </td>
                  <td>{l.strategy}</td>
                  <td className="num">{l.followers}</td>
                  <td className="num">{l.trackRecordDays} days</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <p className="muted">
        {data.total} leader(s). Page {data.page}.{" "}
        {data.page > 1 && <Link href={`?sort=${sort}&page=${data.page - 1}`}>Previous</Link>}{" "}
        {data.page * data.pageSize < data.total && (
          <Link href={`?sort=${sort}&page=${data.page + 1}`}>Next</Link>
        )}
      </p>
    </section>
  );
}
