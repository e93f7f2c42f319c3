import type { Metadata } from "next";
import { TRPCError } from "@trpc/server";
import Link from "next/link";
import { notFound } from "next/navigation";
import { PerformanceCharts } from "@/components/charts";
import { dateTime, drawdown, duration, money, num, pct, qty, signClass } from "@/components/format";
import { serverCaller } from "@/server/api/server-caller";
import { decodeSegment } from "@/components/url";
import { getDb } from "@/server/db";
import { workerLiveness } from "@/server/ops/heartbeat";
import { LeaderRules } from "@/components/leader-rules";
import { UnverifiedReasons, VerifiedBadge } from "@/components/verified-badge";

export const dynamic = "force-dynamic";
export async function generateMetadata({
  params,
}: {
  params: Promise<{ handle: string }>;
}): Promise<Metadata> {
  const name = decodeSegment((await params).handle);
  return { title: name ? `@${name}` : "Leader" };
}

async function load(handle: string) {
  const api = await serverCaller();
  try {
    return await api.leaders.profile({ handle });
  } catch (err) {
    if (err instanceof TRPCError && (err.code === "NOT_FOUND" || err.code === "BAD_REQUEST"))
      return null;
    throw err;
  }
}

export default async function LeaderPage({ params }: { params: Promise<{ handle: string }> }) {
  const { handle } = await params;
  const name = decodeSegment(handle);
  const p = name === null ? null : await load(name);
  if (!p) notFound();
  // "Up to date" only while a worker is beating: a dead engine copies nothing (issue 14).
  const engine = await workerLiveness(await getDb());
  // The badge, an open strategy-change flag and the rules behind them (ADR 0035, 0036).
  const trust = await (await serverCaller()).trust.leader({ handle: p.leader.handle });
  const { leader, summary } = p;
  const canCopy = leader.copyable && p.meetsTrackRecord;
  const stat = (label: string, value: string, cls = "") => (
    <div className="card stat-card">
      <div className="label">{label}</div>
      <div className={`value ${cls}`}>{value}</div>
    </div>
  );
  return (
    <article className="stack">
      <header className="stack" style={{ gap: "0.4rem" }}>
        <h1>
          {leader.displayName} <span className="muted">@{leader.handle}</span>
        </h1>
        <div className="row">
          {!p.meetsTrackRecord && (
            <span className="badge warn">
              Too new to copy: {p.trackRecordDays} of {p.minTrackRecordDays} days
            </span>
          )}
          {!leader.copyable && <span className="badge warn">Not copyable right now</span>}
          <VerifiedBadge verification={trust.verification} />
          {trust.flag && (
            <span className="badge bad" data-testid="flag-badge">
              Flagged: trading changed
            </span>
          )}
          <span className="badge" data-testid="risk-badge">
            {summary.riskScore === null
              ? "Risk: not enough data yet"
              : `Risk ${summary.riskScore}/10`}
          </span>
          <span className="muted">
            {p.trackRecordDays} days of history · numbers as of {p.asOfDay ?? "—"}
          </span>
        </div>
        {trust.flag && (
          <div className="note" role="note" data-testid="flag-note">
            <strong>Flagged {dateTime(trust.flag.openedAt)}:</strong> {trust.flag.reason}. Followers
            were told; those who chose so copy no new buying until the flag closes.{" "}
            <a href="#trust">What this means</a>
          </div>
        )}
        <UnverifiedReasons verification={trust.verification} />
        {leader.bio && <p>{leader.bio}</p>}
        <p>
          <strong>Strategy:</strong> {leader.strategy || "Not described yet."}
        </p>
        <div className="row">
          {canCopy ? (
            <Link href={`/leaders/${leader.handle}/copy`} className="button">
              Copy {leader.displayName}
            </Link>
          ) : (
            <span className="muted" role="note">
              {p.meetsTrackRecord
                ? "Copying is closed for this leader at the moment."
                : `Copying opens once this leader has ${p.minTrackRecordDays} days of track record.`}
            </span>
          )}
          <Link href={`/leaders/${leader.handle}/what-if`}>What if I had copied?</Link>
          <Link href="/leaders">Back to leaders</Link>
        </div>
      </header>

      <div className="grid">
        {stat(
          "Return since start",
          pct(p.periods.find((x) => x.key === "all")?.value),
          signClass(summary.twr),
        )}
        {stat("Max drawdown", drawdown(summary.maxDrawdown))}
        {stat("Volatility (yearly)", pct(summary.volatility, { sign: false }))}
        {stat("Sharpe ratio", summary.sharpe ? num(summary.sharpe) : "—")}
        {stat("Win rate", summary.winRate ? pct(summary.winRate, { sign: false, dp: 1 }) : "—")}
        {stat("Followers", `${p.followers.active + p.followers.paused}`)}
      </div>

      <PerformanceCharts points={p.chart} title="Account value" />

      <div className="split">
        <section className="card" aria-labelledby="periods">
          <h2 id="periods" style={{ marginTop: 0 }}>
            Returns by period
          </h2>
          <table>
            <tbody>
              {p.periods.map((r) => (
                <tr key={r.key}>
                  <th scope="row">{r.label}</th>
                  <td className={`num ${signClass(r.value)}`}>
                    {r.value === null ? (
                      <span className="muted">not enough history</span>
                    ) : (
                      pct(r.value)
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <details style={{ marginTop: "0.75rem" }}>
            <summary>Month by month</summary>
            <table>
              <tbody>
                {p.monthly.map((m) => (
                  <tr key={m.month}>
                    <th scope="row">{m.month}</th>
                    <td className={`num ${signClass(m.value)}`}>{pct(m.value)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </details>
        </section>

        <section className="card" aria-labelledby="risk">
          <h2 id="risk" style={{ marginTop: 0 }}>
            Risk and trading style
          </h2>
          <dl className="kv">
            <dt>Risk score</dt>
            <dd>
              {summary.riskScore === null
                ? "Not enough data: a score needs 20 days of history and at least one trade"
                : `${summary.riskScore} of 10`}
            </dd>
            <dt>Max drawdown</dt>
            <dd>{drawdown(summary.maxDrawdown)}</dd>
            <dt>Volatility</dt>
            <dd>{pct(summary.volatility, { sign: false })} a year</dd>
            <dt>Sharpe ratio</dt>
            <dd>{summary.sharpe ? num(summary.sharpe) : "—"}</dd>
            <dt>Closed trades</dt>
            <dd>{p.closedTrades}</dd>
            <dt>Trades per week</dt>
            <dd>{summary.tradesPerWeek ? num(summary.tradesPerWeek, 1) : "—"}</dd>
            <dt>Average holding time</dt>
            <dd>
              {summary.averageHoldingHours
                ? Number(summary.averageHoldingHours) >= 48
                  ? `${num(String(Number(summary.averageHoldingHours) / 24), 1)} days`
                  : `${num(summary.averageHoldingHours, 1)} hours`
                : "—"}
            </dd>
            <dt>Win rate</dt>
            <dd>{summary.winRate ? pct(summary.winRate, { sign: false, dp: 1 }) : "—"}</dd>
          </dl>
          <h3 style={{ fontSize: "1rem" }}>Instrument focus</h3>
          {summary.instrumentFocus.length === 0 ? (
            <p className="muted">No closed trades yet.</p>
          ) : (
            <ul style={{ paddingLeft: "1.2rem", margin: 0 }}>
              {summary.instrumentFocus.map((f) => (
                <li key={f.symbol}>
                  {f.symbol}: {pct(f.share, { sign: false, dp: 0 })} of trades ({f.trades})
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>

      <div className="split">
        <section className="card" aria-labelledby="copying">
          <h2 id="copying" style={{ marginTop: 0 }}>
            Followers and copying
          </h2>
          <dl className="kv">
            <dt>Active copies</dt>
            <dd>{p.followers.active}</dd>
            <dt>Paused copies</dt>
            <dd>{p.followers.paused}</dd>
            <dt>Capital copying</dt>
            <dd>{money(p.followers.capital)}</dd>
            <dt>Copy latency</dt>
            <dd>
              {p.latency.samples === 0
                ? "no copied trades yet"
                : `typically ${duration(p.latency.p50Ms)}, 95 % within ${duration(p.latency.p95Ms)} (last ${p.latency.samples} copies)`}
            </dd>
            <dt>Copy engine</dt>
            <dd>
              {!engine.up ? (
                <span className="badge bad">Copy engine offline: trades are not being copied</span>
              ) : p.availability.openBreakers.length > 0 ? (
                <span className="badge bad">Halted: {p.availability.openBreakers[0]!.reason}</span>
              ) : p.availability.pendingEvents > 0 ? (
                <span className="badge warn">
                  {p.availability.pendingEvents} trade(s) being copied
                </span>
              ) : (
                <span className="badge good">Up to date</span>
              )}
              {p.availability.lastReplicatedAt && (
                <span className="muted">
                  {" "}
                  · last copied {dateTime(p.availability.lastReplicatedAt)}
                </span>
              )}
            </dd>
          </dl>
        </section>
        <section className="card" aria-labelledby="fees">
          <h2 id="fees" style={{ marginTop: 0 }}>
            Fees
          </h2>
          <dl className="kv">
            <dt>Performance fee</dt>
            <dd>
              {num(leader.performanceFeePct, 0)} % of new profits (above your high-water mark)
            </dd>
            <dt>Minimum amount</dt>
            <dd>{money(leader.minAllocation)}</dd>
          </dl>
          <p className="muted">Broker commissions on your copied trades, per unit:</p>
          <ul style={{ paddingLeft: "1.2rem", margin: 0 }}>
            {p.fees.map((f) => (
              <li key={f.symbol}>
                {f.symbol} ({f.name}): {money(f.commissionPerUnit, f.currency, { dp: 4 })}
              </li>
            ))}
          </ul>
        </section>
      </div>

      <section aria-labelledby="trades">
        <h2 id="trades">Recent trades</h2>
        {p.recentTrades.length === 0 ? (
          <p className="card muted">No trades yet.</p>
        ) : (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Instrument</th>
                  <th scope="col">Side</th>
                  <th scope="col" className="num">
                    Quantity
                  </th>
                  <th scope="col" className="num">
                    Price
                  </th>
                  <th scope="col" className="num hide-sm">
                    Position after
                  </th>
                </tr>
              </thead>
              <tbody>
                {p.recentTrades.map((t) => (
                  <tr key={t.id}>
                    <td>{dateTime(t.filledAt)}</td>
                    <td>{t.symbol}</td>
                    <td>{t.side === "buy" ? "Buy" : "Sell"}</td>
                    <td className="num">{qty(t.qty)}</td>
                    <td className="num">{money(t.price)}</td>
                    <td className="num hide-sm">{qty(t.positionAfter, { sign: true })}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <details className="card" id="trust">
        <summary>Verified, flagged and safety breakers: the rules</summary>
        <div className="terms">
          <LeaderRules rules={trust.rules} />
        </div>
      </details>

      <details className="card" id="how">
        <summary>How each number is computed</summary>
        <div className="terms">
          <h3>Returns</h3>
          <p>
            Time-weighted: the account value is recorded at the end of each day; each day&apos;s
            growth is the day&apos;s closing value minus any deposit or plus any withdrawal, divided
            by the previous close, and the days are chained. Money moved in or out is therefore
            never counted as profit or loss. Values are after the leader&apos;s commissions. A
            period (1, 3, 6 months, 1 year) runs from the last daily value on or before its start to
            the newest one; if the history is shorter, it shows &ldquo;not enough history&rdquo;.
          </p>
          <h3>How positions are valued</h3>
          <p>
            Every value on this page, every copy&apos;s value and your account&apos;s value are
            worked out the same way: open positions at the price closing them would get now (a long
            at the bid, a short at the ask), after commissions and fees. A position with no current
            quote is valued at its last traded price, never at zero. Only the copy ratio (your
            amount ÷ the leader&apos;s account) uses the middle of bid and ask.
          </p>
          <h3>Max drawdown</h3>
          <p>
            The largest fall of the chained growth from its highest point before, as a share of that
            high. The drawdown chart shows this fall on every day.
          </p>
          <h3>Volatility, Sharpe ratio and risk score</h3>
          <p>
            Volatility is the sample standard deviation of daily returns times √252 (trading days in
            a year). Sharpe is the average daily return divided by that deviation, times √252, with
            a zero risk-free rate. The risk score maps the volatility to 1–10: under 2 % is 1, under
            5 % is 2, then 8, 12, 16, 20, 25, 30, 40 %; 40 % or more is 10.
          </p>
          <h3>Win rate, frequency, holding time, instrument focus</h3>
          <p>
            A trade opens when a position leaves flat and closes when it returns to flat (or flips
            side). Its result is realized on the average-cost method after commissions; a win is a
            result above zero. Trades per week is closed trades over the span of the history;
            holding time is the average from open to close; instrument focus is each
            instrument&apos;s share of closed trades.
          </p>
          <h3>Copy latency and availability</h3>
          <p>
            Latency is the time from the leader&apos;s fill being recorded to the copy decision for
            each follower, over the leader&apos;s last 500 copy decisions (median and 95th
            percentile). &ldquo;Up to date&rdquo; means every leader trade has been processed for
            all followers and no circuit breaker is open.
          </p>
          <p className="muted">
            The same calculation produces every leader&apos;s and every follower&apos;s numbers on
            Tandem. Past performance does not guarantee future results.
          </p>
        </div>
      </details>
    </article>
  );
}
