import { and, asc, eq, getTableColumns, inArray, sql } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { equitySnapshots, instruments, leaderFills, leaderStats } from "../../../db/schema";
import { summaryAndReturnsSince, type ClosedTrade } from "../../domain/metrics";
import { periodReturns, periodStarts, toSeries, type SnapshotRow } from "../../domain/series";
import { closedTradesFromFills } from "../../domain/round-trips";

/**
 * A risk score needs this many daily snapshots and at least one trade: a new leader's flat
 * cash line has no volatility, and "risk 1/10" would rank them the safest of all.
 */
export const MIN_RISK_SNAPSHOTS = 20;

export function riskScoreOrNull(
  riskScore: number | null,
  snapshotCount: number,
  hasTrades: boolean,
): number | null {
  return snapshotCount >= MIN_RISK_SNAPSHOTS && hasTrades ? riskScore : null;
}

/** Stats older than this are recomputed on the next read even without a new snapshot. */
export const STATS_MAX_AGE_MS = 15 * 60_000;

export async function leaderSnapshots(db: Db, leaderId: string): Promise<SnapshotRow[]> {
  return (await leadersSnapshots(db, [leaderId])).get(leaderId) ?? [];
}

/** Several leaders' daily snapshots in one query, each leader's in day order. */
async function leadersSnapshots(
  db: Db,
  leaderIds: readonly string[],
): Promise<Map<string, SnapshotRow[]>> {
  const rows = await db
    .select({
      ownerId: equitySnapshots.ownerId,
      day: equitySnapshots.day,
      equity: equitySnapshots.equity,
      netFlow: equitySnapshots.netFlow,
    })
    .from(equitySnapshots)
    .where(
      and(
        eq(equitySnapshots.ownerType, "leader"),
        inArray(equitySnapshots.ownerId, [...leaderIds]),
      ),
    )
    .orderBy(asc(equitySnapshots.ownerId), asc(equitySnapshots.day));
  return groupBy(
    rows,
    (r) => r.ownerId,
    ({ day, equity, netFlow }) => ({ day, equity, netFlow }),
  );
}

type LeaderTrades = { trades: ClosedTrade[]; symbols: string[]; assetClasses: string[] };

/** A leader's round trips from their recorded fills (commissions from the instrument schedule). */
export async function leaderClosedTrades(db: Db, leaderId: string): Promise<LeaderTrades> {
  return (await leadersClosedTrades(db, [leaderId])).get(leaderId)!;
}

/** leaderClosedTrades for several leaders: one query for the fills, one for the instruments. */
async function leadersClosedTrades(
  db: Db,
  leaderIds: readonly string[],
): Promise<Map<string, LeaderTrades>> {
  const fills = await db
    .select({
      leaderId: leaderFills.leaderId,
      symbol: leaderFills.symbol,
      side: leaderFills.side,
      qty: leaderFills.qty,
      price: leaderFills.price,
      at: leaderFills.filledAt,
    })
    .from(leaderFills)
    .where(inArray(leaderFills.leaderId, [...leaderIds]))
    .orderBy(asc(leaderFills.leaderId), asc(leaderFills.eventSeq));
  const allSymbols = [...new Set(fills.map((f) => f.symbol))];
  const specs =
    allSymbols.length === 0
      ? []
      : await db
          .select({
            symbol: instruments.symbol,
            multiplier: instruments.multiplier,
            commissionPerUnit: instruments.commissionPerUnit,
            assetClass: instruments.assetClass,
          })
          .from(instruments)
          .where(inArray(instruments.symbol, allSymbols));
  const bySymbol = new Map(specs.map((s) => [s.symbol, s]));
  const spec = (s: string) => bySymbol.get(s) ?? { multiplier: "1", commissionPerUnit: "0" };
  const byLeader = groupBy(
    fills,
    (f) => f.leaderId,
    ({ leaderId: _l, ...f }) => f,
  );
  const out = new Map<string, LeaderTrades>();
  for (const id of leaderIds) {
    const own = byLeader.get(id) ?? [];
    const symbols = [...new Set(own.map((f) => f.symbol))];
    const classes = symbols.flatMap((s) => {
      const c = bySymbol.get(s)?.assetClass;
      return c === undefined ? [] : [c];
    });
    out.set(id, {
      trades: closedTradesFromFills(own, spec),
      symbols,
      assetClasses: [...new Set(classes)].sort(),
    });
  }
  return out;
}

function groupBy<T, K, V>(rows: readonly T[], key: (r: T) => K, value: (r: T) => V): Map<K, V[]> {
  const out = new Map<K, V[]>();
  for (const r of rows) {
    const k = key(r);
    const list = out.get(k);
    if (list) list.push(value(r));
    else out.set(k, [value(r)]);
  }
  return out;
}

/** One leader's stored statistics, from their snapshots and round trips (no database). */
function statsRow(leaderId: string, rows: SnapshotRow[], closed: LeaderTrades, now: Date) {
  const { series, flows } = toSeries(rows);
  const { trades, symbols, assetClasses } = closed;
  const { summary, since } = summaryAndReturnsSince({ series, flows, trades }, periodStarts(rows));
  const periods = new Map(
    periodReturns(rows, { all: summary.twr, since }).map((p) => [p.key, p.value]),
  );
  const enough = rows.length >= 2;
  const values = {
    leaderId,
    computedAt: now,
    asOfDay: rows.at(-1)?.day ?? null,
    snapshotCount: rows.length,
    return1m: periods.get("1m") ?? null,
    return3m: periods.get("3m") ?? null,
    return1y: periods.get("1y") ?? null,
    returnAll: enough ? summary.twr : null,
    maxDrawdown: enough ? summary.maxDrawdown : null,
    volatility: enough ? summary.volatility : null,
    sharpe: summary.sharpe,
    riskScore: riskScoreOrNull(summary.riskScore, rows.length, symbols.length > 0),
    winRate: summary.winRate,
    tradesPerWeek: summary.tradesPerWeek,
    averageHoldingHours: summary.averageHoldingHours,
    closedTrades: trades.length,
    symbols: [...symbols].sort(),
    assetClasses,
    instrumentFocus: summary.instrumentFocus,
  };
  return { values, summary };
}

/** Leaders per round of reads and one upsert: a year of snapshots is ~365 rows each. */
const STATS_CHUNK = 200;

/**
 * Recomputes these leaders' rows from the metrics module and stores them: three reads and
 * one upsert per STATS_CHUNK leaders, whatever their number.
 */
export async function refreshLeadersStats(
  db: Db,
  leaderIds: readonly string[],
  now: Date = new Date(),
): Promise<Array<ReturnType<typeof statsRow>>> {
  const out: Array<ReturnType<typeof statsRow>> = [];
  const cols = getTableColumns(leaderStats);
  const set = Object.fromEntries(
    Object.entries(cols)
      .filter(([key]) => key !== "leaderId")
      .map(([key, col]) => [key, sql.raw(`excluded.${col.name}`)]),
  );
  for (let i = 0; i < leaderIds.length; i += STATS_CHUNK) {
    const ids = leaderIds.slice(i, i + STATS_CHUNK);
    const [snaps, closed] = await Promise.all([
      leadersSnapshots(db, ids),
      leadersClosedTrades(db, ids),
    ]);
    const rows = ids.map((id) => statsRow(id, snaps.get(id) ?? [], closed.get(id)!, now));
    await db
      .insert(leaderStats)
      .values(rows.map((r) => r.values))
      .onConflictDoUpdate({ target: leaderStats.leaderId, set });
    out.push(...rows);
  }
  return out;
}

/** Recomputes one leader's row and stores it; returns what was stored and the summary. */
export async function refreshLeaderStats(db: Db, leaderId: string, now: Date = new Date()) {
  const [r] = await refreshLeadersStats(db, [leaderId], now);
  return { ...r!.values, summary: r!.summary };
}

/**
 * Brings every stale leader row up to date: missing, older than the newest snapshot, or
 * past STATS_MAX_AGE_MS. Cheap when nothing changed (one indexed query). The worker can
 * call this after writing end-of-day snapshots so that pages never pay for it.
 */
export async function ensureLeaderStats(db: Db, now: Date = new Date()): Promise<number> {
  const stale = await db.execute<{ id: string }>(sql`
    select l.id from leaders l
      left join leader_stats s on s.leader_id = l.id
      left join lateral (
        select max(day) as day from equity_snapshots e
         where e.owner_type = 'leader' and e.owner_id = l.id::text
      ) snap on true
     where s.leader_id is null
        or s.computed_at < ${new Date(now.getTime() - STATS_MAX_AGE_MS).toISOString()}::timestamptz
        or (snap.day is not null and (s.as_of_day is null or s.as_of_day < snap.day))`);
  await refreshLeadersStats(
    db,
    stale.map((r) => r.id),
    now,
  );
  return stale.length;
}
