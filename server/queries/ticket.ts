import "server-only";
import { and, asc, desc, eq, inArray, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { accountBalances, fills, instruments, orders, quotes } from "../../db/schema";
import { isMarketOpen } from "../market/hours";

export const OPEN_ORDER_STATUSES = [
  "pending_submit",
  "submitted",
  "accepted",
  "partially_filled",
  "pending_cancel",
  "unknown",
] as const;

/**
 * What a trade ticket needs for one broker account, whoever holds it (a leader's console, a
 * follower's portfolio): the account's cash, every instrument with its quote and whether its
 * market is open now, the account's open and recent orders and its recent fills. For a
 * leader's account, each fill also says how many followers it reached and was skipped for.
 */
export async function ticketContext(
  db: Db,
  acct: string,
  now: Date,
  leaderId: string | null = null,
) {
  const [bal] = await db
    .select()
    .from(accountBalances)
    .where(eq(accountBalances.brokerAccountId, acct));
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
      // Followers this fill reached: copy orders caused by it, one per copy (leaders only).
      copiedTo: leaderId
        ? sql<number>`(select count(distinct o.relationship_id)::int from ${orders} o
        where o.leader_fill_id = ${fills.brokerTradeId} and o.origin = 'copy')`
        : sql<number>`0`,
      skippedFor: leaderId
        ? sql<number>`(select count(*)::int from copy_decisions d
        join copy_relationships c on c.id = d.relationship_id
        where d.leader_fill_id = ${fills.brokerTradeId} and c.leader_id = ${leaderId}
          and d.action = 'skipped')`
        : sql<number>`0`,
    })
    .from(fills)
    .innerJoin(orders, eq(orders.id, fills.orderId))
    .where(eq(fills.brokerAccountId, acct))
    .orderBy(desc(fills.filledAt))
    .limit(30);
  return {
    account: { id: acct, cash: bal?.cash ?? null, currency: bal?.currency ?? "USD" },
    instruments: instr.map(({ tradingHours, ...i }) => ({
      ...i,
      marketOpen: isMarketOpen({ tradingHours }, now),
    })),
    openOrders,
    recentOrders,
    recentFills,
  };
}
