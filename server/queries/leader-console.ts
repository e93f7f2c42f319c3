import "server-only";
import { and, asc, desc, eq, inArray, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../db/client";
import {
  accountBalances,
  auditLog,
  copyRelationships,
  fills,
  instruments,
  leaderPositions,
  leaders,
  orders,
  positions,
  quotes,
  users,
} from "../../db/schema";
import { D, fmt, ZERO } from "../domain/money";
import { profileInput } from "../domain/inputs";
import { copyPnl } from "../domain/valuation";
import { isMarketOpen } from "../market/hours";

export const OPEN_ORDER_STATUSES = [
  "pending_submit",
  "submitted",
  "accepted",
  "partially_filled",
  "pending_cancel",
  "unknown",
] as const;

// The shared rules (length, control characters, valid Unicode) from server/domain/inputs.ts.
export const updateProfileInput = profileInput;

export async function leaderForUser(db: Db, userId: string) {
  const [l] = await db.select().from(leaders).where(eq(leaders.userId, userId));
  return l ?? null;
}

/** The leader's own console: account, positions, orders, fills, followers, instruments. */
export async function leaderConsole(db: Db, userId: string, now: Date = new Date()) {
  const leader = await leaderForUser(db, userId);
  if (!leader) return null;
  const acct = leader.brokerAccountId;
  const [bal] = await db
    .select()
    .from(accountBalances)
    .where(eq(accountBalances.brokerAccountId, acct));
  const held = await db
    .select({ symbol: leaderPositions.symbol, qty: leaderPositions.qty })
    .from(leaderPositions)
    .where(and(eq(leaderPositions.leaderId, leader.id), sql`${leaderPositions.qty} <> 0`))
    .orderBy(asc(leaderPositions.symbol));
  const costs = await db
    .select({
      symbol: positions.symbol,
      avgCost: positions.avgCost,
      realizedPnl: positions.realizedPnl,
    })
    .from(positions)
    .where(eq(positions.brokerAccountId, acct));
  const instr = await db
    .select({
      symbol: instruments.symbol,
      name: instruments.name,
      assetClass: instruments.assetClass,
      currency: instruments.currency,
      qtyStep: instruments.qtyStep,
      minQty: instruments.minQty,
      tickSize: instruments.tickSize,
      multiplier: instruments.multiplier,
      minNotional: instruments.minNotional,
      commissionPerUnit: instruments.commissionPerUnit,
      tradingHours: instruments.tradingHours,
      bid: quotes.bid,
      ask: quotes.ask,
    })
    .from(instruments)
    .leftJoin(quotes, eq(quotes.symbol, instruments.symbol))
    .orderBy(asc(instruments.symbol));
  const bySymbol = new Map(instr.map((i) => [i.symbol, i]));
  const openOrders = await db
    .select()
    .from(orders)
    .where(and(eq(orders.brokerAccountId, acct), inArray(orders.status, [...OPEN_ORDER_STATUSES])))
    .orderBy(desc(orders.createdAt))
    .limit(100);
  const recentOrders = await db
    .select()
    .from(orders)
    .where(eq(orders.brokerAccountId, acct))
    .orderBy(desc(orders.createdAt))
    .limit(20);
  const recentFills = await db
    .select({
      id: fills.id,
      symbol: orders.symbol,
      side: orders.side,
      qty: fills.qty,
      price: fills.price,
      fee: fills.fee,
      filledAt: fills.filledAt,
      orderId: fills.orderId,
      // Followers this fill reached: copy orders caused by it, one per copy.
      copiedTo: sql<number>`(select count(distinct o.relationship_id)::int from ${orders} o
        where o.leader_fill_id = ${fills.brokerTradeId} and o.origin = 'copy')`,
      skippedFor: sql<number>`(select count(*)::int from copy_decisions d
        join copy_relationships c on c.id = d.relationship_id
        where d.leader_fill_id = ${fills.brokerTradeId} and c.leader_id = ${leader.id}
          and d.action = 'skipped')`,
    })
    .from(fills)
    .innerJoin(orders, eq(orders.id, fills.orderId))
    .where(eq(fills.brokerAccountId, acct))
    .orderBy(desc(fills.filledAt))
    .limit(30);
  const followers = await db
    .select({
      id: copyRelationships.id,
      name: users.displayName,
      status: copyRelationships.status,
      sizingMode: copyRelationships.sizingMode,
      capital: copyRelationships.referenceCapital,
      startedAt: copyRelationships.startedAt,
    })
    .from(copyRelationships)
    .innerJoin(users, eq(users.id, copyRelationships.followerId))
    .where(
      and(eq(copyRelationships.leaderId, leader.id), sql`${copyRelationships.status} <> 'stopped'`),
    )
    .orderBy(desc(copyRelationships.startedAt))
    .limit(200);
  const capital = followers.reduce((a, f) => a.plus(f.capital), ZERO);
  return {
    leader: {
      id: leader.id,
      handle: leader.handle,
      displayName: leader.displayName,
      bio: leader.bio,
      strategy: leader.strategy,
      copyable: leader.copyable,
      performanceFeePct: leader.performanceFeePct,
      minAllocation: leader.minAllocation,
    },
    account: { id: acct, cash: bal?.cash ?? null, currency: bal?.currency ?? "USD" },
    positions: held.map((h) => {
      const c = costs.find((x) => x.symbol === h.symbol);
      const i = bySymbol.get(h.symbol);
      const qty = D(h.qty);
      const exit = i?.bid && i.ask ? (qty.isPos() ? D(i.bid) : D(i.ask)) : null;
      const unrealized =
        exit && c && i?.bid && i.ask
          ? copyPnl(
              [{ symbol: h.symbol, qty: h.qty, avgCost: c.avgCost, realizedPnl: "0", fees: "0" }],
              new Map([[h.symbol, { bid: i.bid, ask: i.ask }]]),
              new Map([[h.symbol, i.multiplier]]),
            )
          : null;
      return {
        symbol: h.symbol,
        qty: h.qty,
        avgCost: c?.avgCost ?? null,
        mark: exit ? fmt(exit) : null,
        unrealized: unrealized ? fmt(unrealized) : null,
        currency: i?.currency ?? "USD",
      };
    }),
    openOrders,
    recentOrders,
    recentFills,
    followers,
    followerCount: followers.length,
    capitalCopying: fmt(capital),
    instruments: instr.map(({ tradingHours, ...i }) => ({
      ...i,
      marketOpen: isMarketOpen({ tradingHours }, now),
    })),
    asOf: now,
  };
}

export async function updateLeaderProfile(
  db: Db,
  userId: string,
  input: z.infer<typeof updateProfileInput>,
) {
  const leader = await leaderForUser(db, userId);
  if (!leader) return null;
  await db.update(leaders).set(input).where(eq(leaders.id, leader.id));
  await db.insert(auditLog).values({
    actorUserId: userId,
    action: "leader.profile_update",
    targetType: "leader",
    targetId: leader.id,
    details: {
      before: { displayName: leader.displayName, bio: leader.bio, strategy: leader.strategy },
      after: input,
    },
  });
  return { id: leader.id, handle: leader.handle };
}
