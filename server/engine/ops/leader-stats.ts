import { and, asc, eq, inArray, sql } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { equitySnapshots, instruments, leaderFills, leaderStats } from "../../../db/schema";
import { performanceSummary } from "../../domain/metrics";
import { periodReturns, toSeries, type SnapshotRow } from "../../domain/series";
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
  return db
    .select({
      day: equitySnapshots.day,
      equity: equitySnapshots.equity,
      netFlow: equitySnapshots.netFlow,
    })
    .from(equitySnapshots)
    .where(and(eq(equitySnapshots.ownerType, "leader"), eq(equitySnapshots.ownerId, leaderId)))
    .orderBy(asc(equitySnapshots.day));
}

/** A leader's round trips from their recorded fills (commissions from the instrument schedule). */
export async function leaderClosedTrades(db: Db, leaderId: string) {
  const fills = await db
    .select({
      symbol: leaderFills.symbol,
      side: leaderFills.side,
      qty: leaderFills.qty,
      price: leaderFills.price,
      at: leaderFills.filledAt,
    })
    .from(leaderFills)
    .where(eq(leaderFills.leaderId, leaderId))
    .orderBy(asc(leaderFills.eventSeq));
  const symbols = [...new Set(fills.map((f) => f.symbol))];
  const specs =
    symbols.length === 0
      ? []
      : await db
          .select({
            symbol: instruments.symbol,
            multiplier: instruments.multiplier,
            commissionPerUnit: instruments.commissionPerUnit,
            assetClass: instruments.assetClass,
          })
          .from(instruments)
          .where(inArray(instruments.symbol, symbols));
  const bySymbol = new Map(specs.map((s) => [s.symbol, s]));
  const trades = closedTradesFromFills(
    fills,
    (s) => bySymbol.get(s) ?? { multiplier: "1", commissionPerUnit: "0" },
  );
  return { trades, symbols, assetClasses: [...new Set(specs.map((s) => s.assetClass))].sort() };
}

/** Recomputes one leader's row from the metrics module and stores it. */
export async function refreshLeaderStats(db: Db, leaderId: string, now: Date = new Date()) {
  const rows = await leaderSnapshots(db, leaderId);
  const { series, flows } = toSeries(rows);
  const { trades, symbols, assetClasses } = await leaderClosedTrades(db, leaderId);
  const summary = performanceSummary({ series, flows, trades });
  const periods = new Map(periodReturns(rows).map((p) => [p.key, p.value]));
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
    symbols: symbols.sort(),
    assetClasses,
    instrumentFocus: summary.instrumentFocus,
  };
  const { leaderId: _id, ...update } = values;
  await db
    .insert(leaderStats)
    .values(values)
    .onConflictDoUpdate({ target: leaderStats.leaderId, set: update });
  return { ...values, summary };
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
  for (const { id } of stale) await refreshLeaderStats(db, id, now);
  return stale.length;
}
