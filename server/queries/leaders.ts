import "server-only";
import {
  and,
  asc,
  count,
  desc,
  eq,
  gte,
  ilike,
  inArray,
  isNull,
  lte,
  or,
  sql,
  type SQL,
} from "drizzle-orm";
import { z } from "zod";
import type { AnyPgColumn } from "drizzle-orm/pg-core";
import type { Db } from "../../db/client";
import {
  circuitBreakers,
  equitySnapshots,
  copyRelationships,
  eventStreams,
  instruments,
  leaderFills,
  leaderPositions,
  leaderStats,
  leaders,
  replicationCursors,
  users,
} from "../../db/schema";
import { D, fmt } from "../domain/money";
import { choiceField, flagField, form, intField, textField } from "../domain/inputs";
import { summaryAndReturnsSince } from "../domain/metrics";
import {
  ensureLeaderStats,
  leaderClosedTrades,
  leaderSnapshots,
  riskScoreOrNull,
} from "../engine/ops/leader-stats";
import {
  chartSeries,
  monthlyReturns,
  periodReturns,
  periodStarts,
  toSeries,
} from "../domain/series";

import {
  ASSET_CLASSES,
  LEADER_SORTS,
  MIN_TRACK_RECORD_DAYS,
  type LeaderSort,
} from "../domain/leader-list";
export { ASSET_CLASSES, LEADER_SORTS, MIN_TRACK_RECORD_DAYS, type LeaderSort };

export const listLeadersInput = form({
  search: textField({ label: "Search", max: 60 }).optional(),
  sort: choiceField("Sort", LEADER_SORTS).default("return_3m"),
  assetClass: choiceField("Asset class", ASSET_CLASSES).optional(),
  /** Only leaders whose risk score (1–10) is at most this. */
  maxRisk: intField({ label: "Max risk score", min: 1, max: 10 }).optional(),
  /** Only leaders whose max drawdown is at most this many percent. */
  maxDrawdownPct: z
    .number({ error: "Max drawdown must be a number from 0 to 100 %" })
    .min(0, { error: "Max drawdown must be a number from 0 to 100 %" })
    .max(100, { error: "Max drawdown must be a number from 0 to 100 %" })
    .optional(),
  /** Only leaders who can be copied now (copyable and past the minimum track record). */
  copyableOnly: flagField("Copyable only").default(false),
  page: intField({ label: "Page", min: 1, max: 10_000 }).default(1),
  pageSize: intField({ label: "Page size", min: 1, max: 100 }).default(20),
});
export type ListLeadersInput = z.input<typeof listLeadersInput>;

const activeFollowers = (db: Db) =>
  db
    .select({
      leaderId: copyRelationships.leaderId,
      n: count().as("n"),
      capital: sql<string>`sum(${copyRelationships.referenceCapital})`.as("capital"),
    })
    .from(copyRelationships)
    .where(sql`${copyRelationships.status} <> 'stopped'`)
    .groupBy(copyRelationships.leaderId)
    .as("followers");

function trackRecordDays(started: Date, now: Date) {
  return Math.floor((now.getTime() - started.getTime()) / 86_400_000);
}

/**
 * Discovery: filtering, sorting and paging happen in PostgreSQL over `leader_stats`
 * (refreshed from the metrics module when stale), so the page cost does not grow with
 * the number of leaders or the length of their histories.
 */
export async function listLeaders(db: Db, raw: ListLeadersInput, now: Date = new Date()) {
  const input = listLeadersInput.parse(raw);
  await ensureLeaderStats(db, now);
  const followers = activeFollowers(db);
  const minStart = new Date(now.getTime() - MIN_TRACK_RECORD_DAYS * 86_400_000);
  const conds: SQL[] = [];
  if (input.search) {
    const like = `%${input.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    conds.push(
      or(
        ilike(leaders.displayName, like),
        ilike(leaders.handle, like),
        sql`exists (select 1 from unnest(${leaderStats.symbols}) s where s ilike ${input.search})`,
      )!,
    );
  }
  if (input.assetClass) conds.push(sql`${input.assetClass} = any(${leaderStats.assetClasses})`);
  if (input.maxRisk !== undefined) conds.push(lte(leaderStats.riskScore, input.maxRisk));
  if (input.maxDrawdownPct !== undefined)
    conds.push(lte(leaderStats.maxDrawdown, fmt(D(input.maxDrawdownPct).div(100))));
  if (input.copyableOnly) {
    conds.push(eq(leaders.copyable, true));
    conds.push(lte(leaders.trackRecordStartedAt, minStart));
  }
  const where = conds.length ? and(...conds) : undefined;
  const nullsLast = (col: SQL | AnyPgColumn, dir: "asc" | "desc") =>
    sql`${col} ${sql.raw(dir)} nulls last`;
  // Leaders without enough history for a risk score come last whatever the sort.
  const unrated = sql`(${leaderStats.riskScore} is null) asc`;
  const byMeasure: SQL[] = {
    return_1m: [nullsLast(leaderStats.return1m, "desc")],
    return_3m: [nullsLast(leaderStats.return3m, "desc")],
    return_1y: [nullsLast(leaderStats.return1y, "desc")],
    return_all: [nullsLast(leaderStats.returnAll, "desc")],
    max_drawdown: [nullsLast(leaderStats.maxDrawdown, "asc")],
    risk_score: [nullsLast(leaderStats.riskScore, "asc")],
    followers: [sql`coalesce(${followers.n}, 0) desc`],
    track_record: [asc(leaders.trackRecordStartedAt)],
    name: [asc(leaders.displayName)],
  }[input.sort];
  const order = input.sort === "name" ? byMeasure : [unrated, ...byMeasure];
  const rows = await db
    .select({
      id: leaders.id,
      handle: leaders.handle,
      displayName: leaders.displayName,
      strategy: leaders.strategy,
      copyable: leaders.copyable,
      trackRecordStartedAt: leaders.trackRecordStartedAt,
      performanceFeePct: leaders.performanceFeePct,
      followers: sql<number>`coalesce(${followers.n}, 0)::int`,
      capitalCopying: sql<string>`coalesce(${followers.capital}, 0)::text`,
      return1m: leaderStats.return1m,
      return3m: leaderStats.return3m,
      return1y: leaderStats.return1y,
      returnAll: leaderStats.returnAll,
      maxDrawdown: leaderStats.maxDrawdown,
      riskScore: leaderStats.riskScore,
      symbols: leaderStats.symbols,
      assetClasses: leaderStats.assetClasses,
    })
    .from(leaders)
    .leftJoin(leaderStats, eq(leaderStats.leaderId, leaders.id))
    .leftJoin(followers, eq(followers.leaderId, leaders.id))
    .where(where)
    .orderBy(...order, asc(leaders.handle))
    .limit(input.pageSize)
    .offset((input.page - 1) * input.pageSize);
  const [total] = await db
    .select({ n: count() })
    .from(leaders)
    .leftJoin(leaderStats, eq(leaderStats.leaderId, leaders.id))
    .where(where);
  const sparks = await sparklines(
    db,
    rows.map((r) => r.id),
    now,
  );
  return {
    total: total?.n ?? 0,
    page: input.page,
    pageSize: input.pageSize,
    sort: input.sort,
    items: rows.map((r) => {
      const days = trackRecordDays(r.trackRecordStartedAt, now);
      return {
        ...r,
        spark: sparks.get(r.id) ?? [],
        symbols: r.symbols ?? [],
        assetClasses: r.assetClasses ?? [],
        trackRecordDays: days,
        meetsTrackRecord: days >= MIN_TRACK_RECORD_DAYS,
      };
    }),
  };
}

export const leaderProfileInput = form({ handle: textField({ label: "Leader", min: 1, max: 60 }) });

/** Everything the public profile shows; null when no such leader. */
export async function leaderProfile(db: Db, handle: string, now: Date = new Date()) {
  const [leader] = await db
    .select({
      id: leaders.id,
      handle: leaders.handle,
      displayName: leaders.displayName,
      bio: leaders.bio,
      strategy: leaders.strategy,
      copyable: leaders.copyable,
      minAllocation: leaders.minAllocation,
      performanceFeePct: leaders.performanceFeePct,
      trackRecordStartedAt: leaders.trackRecordStartedAt,
      userId: leaders.userId,
    })
    .from(leaders)
    .where(eq(leaders.handle, handle));
  if (!leader) return null;
  const rows = await leaderSnapshots(db, leader.id);
  const { series, flows } = toSeries(rows);
  const { trades, symbols } = await leaderClosedTrades(db, leader.id);
  const { summary: computed, since } = summaryAndReturnsSince(
    { series, flows, trades },
    periodStarts(rows),
  );
  const summary = {
    ...computed,
    riskScore: riskScoreOrNull(computed.riskScore, rows.length, symbols.length > 0),
  };

  const [fol] = await db
    .select({
      active: sql<number>`count(*) filter (where ${copyRelationships.status} = 'active')::int`,
      paused: sql<number>`count(*) filter (where ${copyRelationships.status} = 'paused')::int`,
      capital: sql<string>`coalesce(sum(${copyRelationships.referenceCapital}) filter (where ${copyRelationships.status} <> 'stopped'), 0)::text`,
    })
    .from(copyRelationships)
    .where(eq(copyRelationships.leaderId, leader.id));

  const recentTrades = await db
    .select({
      id: leaderFills.id,
      symbol: leaderFills.symbol,
      side: leaderFills.side,
      qty: leaderFills.qty,
      price: leaderFills.price,
      positionAfter: leaderFills.positionAfter,
      filledAt: leaderFills.filledAt,
    })
    .from(leaderFills)
    .where(eq(leaderFills.leaderId, leader.id))
    .orderBy(desc(leaderFills.eventSeq))
    .limit(20);

  const openPositions = await db
    .select({ symbol: leaderPositions.symbol, qty: leaderPositions.qty })
    .from(leaderPositions)
    .where(and(eq(leaderPositions.leaderId, leader.id), sql`${leaderPositions.qty} <> 0`));

  const fees = symbols.length
    ? await db
        .select({
          symbol: instruments.symbol,
          name: instruments.name,
          currency: instruments.currency,
          commissionPerUnit: instruments.commissionPerUnit,
        })
        .from(instruments)
        .where(inArray(instruments.symbol, symbols))
        .orderBy(asc(instruments.symbol))
    : [];

  const latency = await copyLatency(db, leader.id);
  const availability = await copyAvailability(db, leader.id);
  const days = trackRecordDays(leader.trackRecordStartedAt, now);
  const { userId: _u, ...pub } = leader;
  const [owner] = await db
    .select({ name: users.displayName })
    .from(users)
    .where(eq(users.id, leader.userId));
  return {
    leader: { ...pub, ownerName: owner?.name ?? leader.displayName },
    trackRecordDays: days,
    meetsTrackRecord: days >= MIN_TRACK_RECORD_DAYS,
    minTrackRecordDays: MIN_TRACK_RECORD_DAYS,
    asOfDay: rows.at(-1)?.day ?? null,
    firstDay: rows[0]?.day ?? null,
    summary,
    closedTrades: trades.length,
    periods: periodReturns(rows, { all: computed.twr, since }),
    monthly: monthlyReturns(rows),
    chart: chartSeries(rows),
    followers: { active: fol?.active ?? 0, paused: fol?.paused ?? 0, capital: fol?.capital ?? "0" },
    recentTrades,
    openPositions,
    fees,
    latency,
    availability,
  };
}

/** Leader fill recorded → follower decision made, over the leader's last 500 copy decisions. */
export async function copyLatency(db: Db, leaderId: string) {
  const [row] = await db.execute<{ n: string; p50: string | null; p95: string | null }>(sql`
    select count(*)::text as n,
           (percentile_cont(0.5) within group (order by ms))::text as p50,
           (percentile_cont(0.95) within group (order by ms))::text as p95
      from (
        select extract(epoch from (d.at - f.recorded_at)) * 1000 as ms
          from copy_decisions d
          join copy_relationships c on c.id = d.relationship_id
          join leader_fills f on f.leader_id = c.leader_id and f.broker_trade_id = d.leader_fill_id
         where c.leader_id = ${leaderId}
         order by d.id desc
         limit 500
      ) x`);
  const n = Number(row?.n ?? 0);
  return {
    samples: n,
    p50Ms: n && row?.p50 ? Math.max(0, Math.round(Number(row.p50))) : null,
    p95Ms: n && row?.p95 ? Math.max(0, Math.round(Number(row.p95))) : null,
  };
}

/** Is copying this leader working right now: copyable, no open breaker, replication caught up. */
export async function copyAvailability(db: Db, leaderId: string) {
  const [stream] = await db
    .select({ lastSeq: eventStreams.lastSeq })
    .from(eventStreams)
    .where(eq(eventStreams.stream, `leader:${leaderId}`));
  const [cursor] = await db
    .select({ lastSeq: replicationCursors.lastSeq, updatedAt: replicationCursors.updatedAt })
    .from(replicationCursors)
    .where(eq(replicationCursors.leaderId, leaderId));
  const breakers = await db
    .select({
      scope: circuitBreakers.scope,
      reason: circuitBreakers.reason,
      openedAt: circuitBreakers.openedAt,
    })
    .from(circuitBreakers)
    .where(
      and(
        isNull(circuitBreakers.closedAt),
        or(
          eq(circuitBreakers.scope, "global"),
          and(eq(circuitBreakers.scope, "leader"), eq(circuitBreakers.scopeKey, leaderId)),
        ),
      ),
    );
  const pending = cursor ? Math.max(0, (stream?.lastSeq ?? 0) - cursor.lastSeq) : 0;
  return {
    pendingEvents: pending,
    lastReplicatedAt: cursor?.updatedAt ?? null,
    openBreakers: breakers,
  };
}

/**
 * Each listed leader's growth over the last 90 days (the profile chart's index, rebased to
 * the first day shown): one query for the whole page.
 */
async function sparklines(db: Db, ids: string[], now: Date): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (ids.length === 0) return out;
  const since = new Date(now.getTime() - 90 * 86_400_000).toISOString().slice(0, 10);
  const snaps = await db
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
        inArray(equitySnapshots.ownerId, ids),
        gte(equitySnapshots.day, since),
      ),
    )
    .orderBy(asc(equitySnapshots.ownerId), asc(equitySnapshots.day));
  for (const id of ids) {
    const mine = snaps.filter((x) => x.ownerId === id);
    out.set(
      id,
      chartSeries(mine).map((p) => p.growth),
    );
  }
  return out;
}
