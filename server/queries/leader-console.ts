import "server-only";
import { and, asc, desc, eq, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../db/client";
import {
  auditLog,
  copyRelationships,
  leaderPositions,
  leaders,
  positions,
  users,
} from "../../db/schema";
import { D, fmt, ZERO } from "../domain/money";
import { profileInput } from "../domain/inputs";
import { copyPnl } from "../domain/valuation";
import { ticketContext } from "./ticket";

export { OPEN_ORDER_STATUSES } from "./ticket";

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
  const ticket = await ticketContext(db, acct, now, leader.id);
  const bySymbol = new Map(ticket.instruments.map((i) => [i.symbol, i]));
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
    account: ticket.account,
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
    openOrders: ticket.openOrders,
    recentOrders: ticket.recentOrders,
    recentFills: ticket.recentFills,
    followers,
    followerCount: followers.length,
    capitalCopying: fmt(capital),
    instruments: ticket.instruments,
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
