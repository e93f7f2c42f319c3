import { count, isNull, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { circuitBreakers, copyRelationships, leaders, orders, users } from "../../db/schema";

export async function adminOverview(db: Db) {
  const [u] = await db.select({ n: count() }).from(users);
  const [l] = await db.select({ n: count() }).from(leaders);
  const [c] = await db
    .select({ n: count() })
    .from(copyRelationships)
    .where(sql`${copyRelationships.status} <> 'stopped'`);
  const [o] = await db.select({ n: count() }).from(orders);
  const [b] = await db
    .select({ n: count() })
    .from(circuitBreakers)
    .where(isNull(circuitBreakers.closedAt));
  return {
    users: u?.n ?? 0,
    leaders: l?.n ?? 0,
    activeCopies: c?.n ?? 0,
    orders: o?.n ?? 0,
    openBreakers: b?.n ?? 0,
  };
}
