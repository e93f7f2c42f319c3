import "server-only";
import { count, desc, isNull, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import {
  circuitBreakers,
  copyRelationships,
  leaders,
  orders,
  reconciliationRuns,
  users,
} from "../../db/schema";

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

/** Open breakers first, then the most recently closed. */
export async function listBreakers(db: Db) {
  return db
    .select()
    .from(circuitBreakers)
    .orderBy(sql`${circuitBreakers.closedAt} is not null`, desc(circuitBreakers.openedAt))
    .limit(50);
}

export async function recentReconciliations(db: Db) {
  return db.select().from(reconciliationRuns).orderBy(desc(reconciliationRuns.startedAt)).limit(10);
}
