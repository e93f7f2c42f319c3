import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { Sparkline } from "@/components/charts";
import { drawdown, money, pct } from "@/components/format";
import { serverCaller } from "@/server/api/server-caller";
import {
  ASSET_CLASSES,
  LEADER_SORTS,
  MIN_TRACK_RECORD_DAYS,
  type LeaderSort,
} from "@/server/domain/leader-list";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Leaders" };

type Search = Promise<Record<string, string | undefined>>;

const SORT_LABEL: Record<LeaderSort, string> = {
  return_3m: "Return, 3 months",
  return_1m: "Return, 1 month",
  return_1y: "Return, 1 year",
  return_all: "Return since start",
  max_drawdown: "Smallest max drawdown",
  risk_score: "Lowest risk score",
  followers: "Most followers",
  track_record: "Longest track record",
  name: "Name",
};
const ASSET_LABEL: Record<string, string> = {
  equity: "Stocks",
  etf: "ETFs",
  fx: "Currencies (FX)",
  future: "Futures",
  crypto: "Crypto",
};

export default async function LeadersPage({ searchParams }: { searchParams: Search }) {
  const sp = await searchParams;
  const sort = (LEADER_SORTS as readonly string[]).includes(sp.sort ?? "")
    ? (sp.sort as LeaderSort)
    : "return_3m";
  const assetClass = (ASSET_CLASSES as readonly string[]).includes(sp.asset ?? "")
    ? (sp.asset as (typeof ASSET_CLASSES)[number])
    : undefined;
  const maxRisk = Number.parseInt(sp.risk ?? "", 10);
  const maxDd = Number.parseFloat(sp.dd ?? "");
  const page = Math.max(1, Number.parseInt(sp.page ?? "1", 10) || 1);
  const copyableOnly = sp.copyable === "1";
  const api = await serverCaller();
  const data = await api.leaders.list({
    sort,
    search: sp.q || undefined,
    assetClass,
    maxRisk: maxRisk >= 1 && maxRisk <= 10 ? maxRisk : undefined,
    maxDrawdownPct: maxDd >= 0 && maxDd <= 100 ? maxDd : undefined,
    copyableOnly,
    page,
    pageSize: 20,
  });
  const params = (p: number) => {
    const u = new URLSearchParams();
    for (const [k, v] of Object.entries(sp)) if (v && k !== "page") u.set(k, v);
    u.set("page", String(p));
    return `?${u.toString()}`;
  };
  const pages = Math.max(1, Math.ceil(data.total / data.pageSize));
  // "?page=7" past the end (a stale link, a changed filter) lands on the last page instead.
  if (data.page > pages) redirect(`/leaders${params(pages)}`);
  return (
    <section>
      <h1>Leaders</h1>
      <details className="note">
        <summary>How this ranking works</summary>
        <p>
          Leaders are listed by the measure you choose: nothing is boosted or paid for. Returns are
          time-weighted (deposits and withdrawals do not count as performance) and computed from
          each leader&apos;s daily account value, after their trading commissions. A period longer
          than a leader&apos;s history shows &ldquo;—&rdquo; and sorts last rather than borrowing a
          shorter period. Max drawdown is the largest fall from a peak; the risk score (1 calm to 10
          wild) comes from how much daily returns swing. Leaders with fewer than{" "}
          {MIN_TRACK_RECORD_DAYS} days of history are marked &ldquo;Too new to copy&rdquo; and
          cannot be copied yet. Past results do not predict future ones.
        </p>
      </details>
      <form className="toolbar" method="get" aria-label="Filter and sort leaders">
        <label>
          Search
          <input name="q" defaultValue={sp.q ?? ""} placeholder="Name, handle or symbol" />
        </label>
        <label>
          Sort by
          <select name="sort" defaultValue={sort}>
            {LEADER_SORTS.map((s) => (
              <option key={s} value={s}>
                {SORT_LABEL[s]}
              </option>
            ))}
          </select>
        </label>
        <label>
          Instruments
          <select name="asset" defaultValue={assetClass ?? ""}>
            <option value="">All</option>
            {ASSET_CLASSES.map((a) => (
              <option key={a} value={a}>
                {ASSET_LABEL[a]}
              </option>
            ))}
          </select>
        </label>
        <label>
          Max risk score
          <select name="risk" defaultValue={sp.risk ?? ""}>
            <option value="">Any</option>
            {[2, 3, 4, 5, 6, 7, 8, 9].map((n) => (
              <option key={n} value={n}>
                {n} or lower
              </option>
            ))}
          </select>
        </label>
        <label>
          Max drawdown
          <select name="dd" defaultValue={sp.dd ?? ""}>
            <option value="">Any</option>
            {[5, 10, 20, 30, 50].map((n) => (
              <option key={n} value={n}>
                {n} % or less
              </option>
            ))}
          </select>
        </label>
        <label className="inline">
          <input type="checkbox" name="copyable" value="1" defaultChecked={copyableOnly} />
          Copyable now
        </label>
        <button type="submit">Apply</button>
      </form>
      {data.items.length === 0 ? (
        <p className="card" role="status">
          No leaders match these filters. <Link href="/leaders">Clear the filters</Link>.
        </p>
      ) : (
        <div className="table-wrap">
          <table data-testid="leaders-table">
            <caption className="muted" style={{ textAlign: "left", padding: "0.5rem" }}>
              Sorted by {SORT_LABEL[sort].toLowerCase()}
            </caption>
            <thead>
              <tr>
                <th scope="col">Leader</th>
                <th scope="col" className="num">
                  1M
                </th>
                <th scope="col" className="num">
                  3M
                </th>
                <th scope="col" className="num hide-sm">
                  1Y
                </th>
                <th scope="col" className="num hide-sm">
                  All
                </th>
                <th scope="col" className="num">
                  Max DD
                </th>
                <th scope="col" className="num">
                  Risk
                </th>
                <th scope="col" className="hide-sm">
                  90 days
                </th>
                <th scope="col" className="num hide-sm">
                  Followers
                </th>
                <th scope="col" className="num hide-sm">
                  History
                </th>
              </tr>
            </thead>
            <tbody>
              {data.items.map((l) => (
                <tr key={l.id}>
                  <td>
                    <Link href={`/leaders/${l.handle}`}>
                      <strong>{l.displayName}</strong>
                    </Link>{" "}
                    <span className="muted">@{l.handle}</span>{" "}
                    {!l.meetsTrackRecord && <span className="badge warn">Too new to copy</span>}
                    {!l.copyable && <span className="badge warn">Not copyable</span>}
                    <div className="muted hide-sm" style={{ fontSize: "0.85rem" }}>
                      {l.strategy} · {l.symbols.join(", ") || "no trades yet"}
                    </div>
                  </td>
                  <td className="num">{pct(l.return1m)}</td>
                  <td className="num">{pct(l.return3m)}</td>
                  <td className="num hide-sm">{pct(l.return1y)}</td>
                  <td className="num hide-sm">{pct(l.returnAll)}</td>
                  <td className="num">{drawdown(l.maxDrawdown)}</td>
                  <td className="num">
                    {l.riskScore === null ? (
                      <span className="muted" title="A score needs 20 days of history and a trade">
                        not enough data
                      </span>
                    ) : (
                      `${l.riskScore}/10`
                    )}
                  </td>
                  <td className="hide-sm">
                    <Sparkline
                      points={l.spark}
                      label={`${l.displayName}: growth over the last 90 days`}
                    />
                  </td>
                  <td className="num hide-sm" title={`${money(l.capitalCopying)} copying`}>
                    {l.followers}
                  </td>
                  <td className="num hide-sm">{l.trackRecordDays} days</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <nav className="pager muted" aria-label="Pages">
        <span>
          {data.total} leader{data.total === 1 ? "" : "s"} · page {data.page} of {pages}
        </span>
        {data.page > 1 && <Link href={params(data.page - 1)}>Previous page</Link>}
        {data.page < pages && <Link href={params(data.page + 1)}>Next page</Link>}
      </nav>
    </section>
  );
}
