import "server-only";
import { desc, eq, ilike, or, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import {
  auditLog,
  brokerAccounts,
  copyRelationships,
  fills,
  instruments,
  leaders,
  orders,
  users,
} from "../../db/schema";
import { isCharge } from "../domain/bookkeeping";
import { BROKERS } from "../market/catalogue";
import { copyDetail } from "./copy-detail";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `%` and `_` typed by staff are literal characters, not wildcards. */
function like(q: string) {
  return `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * One search box for staff: people by e-mail or name (with their copies), leaders by handle or
 * name, orders by id or client order id, fills by broker trade id. Every hit links somewhere.
 */
export async function staffSearch(db: Db, q: string) {
  const text = q.trim();
  const isId = UUID.test(text);
  const people = await db
    .select({ id: users.id, email: users.email, name: users.displayName, role: users.role })
    .from(users)
    .where(
      isId
        ? eq(users.id, text)
        : or(ilike(users.email, like(text)), ilike(users.displayName, like(text))),
    )
    .orderBy(users.email)
    .limit(10);
  const copies = people.length
    ? await db
        .select({
          id: copyRelationships.id,
          followerId: copyRelationships.followerId,
          status: copyRelationships.status,
          leaderName: leaders.displayName,
          leaderHandle: leaders.handle,
          startedAt: copyRelationships.startedAt,
        })
        .from(copyRelationships)
        .innerJoin(leaders, eq(leaders.id, copyRelationships.leaderId))
        .where(
          sql`${copyRelationships.followerId} in (${sql.join(
            people.map((p) => sql`${p.id}::uuid`),
            sql`, `,
          )})`,
        )
        .orderBy(desc(copyRelationships.startedAt))
        .limit(50)
    : [];
  const leaderHits = await db
    .select({ id: leaders.id, handle: leaders.handle, name: leaders.displayName })
    .from(leaders)
    .where(
      isId
        ? eq(leaders.id, text)
        : or(ilike(leaders.handle, like(text)), ilike(leaders.displayName, like(text))),
    )
    .limit(10);
  const orderHits = await db
    .select({
      id: orders.id,
      clientOrderId: orders.clientOrderId,
      symbol: orders.symbol,
      side: orders.side,
      qty: orders.qty,
      status: orders.status,
      relationshipId: orders.relationshipId,
      email: users.email,
    })
    .from(orders)
    .innerJoin(brokerAccounts, eq(brokerAccounts.id, orders.brokerAccountId))
    .innerJoin(users, eq(users.id, brokerAccounts.userId))
    .where(
      isId
        ? or(eq(orders.id, text), eq(orders.clientOrderId, text))
        : or(eq(orders.clientOrderId, text), eq(orders.brokerOrderId, text)),
    )
    .limit(10);
  const fillHits = await db
    .select({
      tradeId: fills.brokerTradeId,
      orderId: fills.orderId,
      clientOrderId: orders.clientOrderId,
      symbol: orders.symbol,
      qty: fills.qty,
      price: fills.price,
      fee: fills.fee,
    })
    .from(fills)
    .innerJoin(orders, eq(orders.id, fills.orderId))
    .where(eq(fills.brokerTradeId, text))
    .limit(10);
  return {
    people: people.map((p) => ({ ...p, copies: copies.filter((c) => c.followerId === p.id) })),
    leaders: leaderHits,
    orders: orderHits,
    // A charge (a commission the broker posted apart from the fills) is said to be one.
    fills: fillHits.map((f) => ({ ...f, charge: isCharge(f) })),
  };
}

/**
 * Support's read-only view of a customer's copy: the owner's own page data, looked up by
 * copy id. The look-up is audited (who looked at whose copy) in the same transaction; null
 * for no such copy, and that miss is recorded too.
 */
export async function customerCopy(db: Db, staffUserId: string, id: string) {
  return db.transaction(async (tx) => {
    const t = tx as unknown as Db;
    const [rel] = await t
      .select({ followerId: copyRelationships.followerId, email: users.email })
      .from(copyRelationships)
      .innerJoin(users, eq(users.id, copyRelationships.followerId))
      .where(eq(copyRelationships.id, id));
    await t.insert(auditLog).values({
      actorUserId: staffUserId,
      action: "staff.view_copy",
      targetType: "copy",
      targetId: id,
      details: { found: Boolean(rel), customer: rel?.email ?? null },
    });
    if (!rel) return null;
    const detail = await copyDetail(t, rel.followerId, id);
    return detail ? { ...detail, customer: { id: rel.followerId, email: rel.email } } : null;
  });
}

/** What a breaker can be opened on: real leaders (by id, shown by name), instruments, brokers. */
export async function breakerChoices(db: Db) {
  const ls = await db
    .select({ id: leaders.id, handle: leaders.handle, name: leaders.displayName })
    .from(leaders)
    .orderBy(leaders.displayName);
  const inst = await db
    .select({ symbol: instruments.symbol, name: instruments.name })
    .from(instruments)
    .orderBy(instruments.symbol);
  const brokers = await db
    .selectDistinct({ broker: brokerAccounts.broker })
    .from(brokerAccounts)
    .orderBy(brokerAccounts.broker);
  return {
    leaders: ls,
    instruments: inst,
    brokers: [...new Set([...BROKERS, ...brokers.map((b) => b.broker)])].sort(),
  };
}
