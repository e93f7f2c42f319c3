import { and, asc, eq, inArray, or } from "drizzle-orm";
import type { Db } from "../../../db/client";
import {
  brokerAccounts,
  copyDecisions,
  copyRelationships,
  events,
  fills,
  leaderFills,
  leaders,
  orders,
  users,
} from "../../../db/schema";
import { fillsStream } from "../../domain/bookkeeping";

/**
 * Support's question "why did this happen?": from one follower order (by client order id or
 * order id) back to the leader fill that caused it — the decision with every risk check,
 * the copy's terms, the fills, and every event sharing the correlation id.
 */
export async function traceOrder(db: Db, ref: string) {
  const isUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(ref);
  const [order] = await db
    .select()
    .from(orders)
    .where(
      isUuid
        ? or(eq(orders.id, ref), eq(orders.clientOrderId, ref))
        : eq(orders.clientOrderId, ref),
    );
  if (!order) return null;
  const [account] = await db
    .select({
      id: brokerAccounts.id,
      broker: brokerAccounts.broker,
      externalId: brokerAccounts.externalId,
      email: users.email,
    })
    .from(brokerAccounts)
    .innerJoin(users, eq(users.id, brokerAccounts.userId))
    .where(eq(brokerAccounts.id, order.brokerAccountId));
  const orderFills = await db
    .select()
    .from(fills)
    .where(eq(fills.orderId, order.id))
    .orderBy(asc(fills.filledAt));
  const [decision] = await db
    .select()
    .from(copyDecisions)
    .where(eq(copyDecisions.clientOrderId, order.clientOrderId));
  const [relationship] = order.relationshipId
    ? await db
        .select()
        .from(copyRelationships)
        .where(eq(copyRelationships.id, order.relationshipId))
    : [];
  const [leader] = relationship
    ? await db
        .select({ id: leaders.id, handle: leaders.handle })
        .from(leaders)
        .where(eq(leaders.id, relationship.leaderId))
    : [];
  const [leaderFill] =
    leader && order.leaderFillId
      ? await db
          .select()
          .from(leaderFills)
          .where(
            and(
              eq(leaderFills.leaderId, leader.id),
              eq(leaderFills.brokerTradeId, order.leaderFillId),
            ),
          )
      : [];
  // Only this follower's and this leader's streams: a leader fill's correlation id is shared
  // by every follower it fanned out to.
  const streams = [
    `account:${order.brokerAccountId}`,
    ...(relationship ? [`copy:${relationship.id}`] : []),
    ...(leader ? [`leader:${leader.id}`] : []),
    // The fan-out's decisions, one event per batch of followers (ADR 0041).
    ...(leader ? [`fanout:${leader.id}`] : []),
    // The booked fills, one event per booking batch of a correlation (ADR 0041).
    ...(order.correlationId ? [fillsStream(order.correlationId)] : []),
  ];
  const related = order.correlationId
    ? await db
        .select()
        .from(events)
        .where(and(eq(events.correlationId, order.correlationId), inArray(events.stream, streams)))
        .orderBy(asc(events.at), asc(events.id))
        .limit(200)
    : [];
  return {
    order,
    account,
    fills: orderFills,
    decision: decision ?? null,
    relationship: relationship ?? null,
    leader: leader ?? null,
    leaderFill: leaderFill ?? null,
    events: related.flatMap((e) => {
      // A booking batch's fill event lists every follower's fill: show only this order's.
      if (e.stream.startsWith("fills:")) {
        const mine = ((e.payload.fills as unknown[][] | undefined) ?? []).filter(
          (f) => f[0] === order.brokerAccountId && f[1] === order.clientOrderId,
        );
        return mine.length ? [{ ...e, payload: { ...e.payload, fills: mine } }] : [];
      }
      // A fan-out event lists a whole batch of followers: show only this copy's decision.
      if (!e.stream.startsWith("fanout:")) return [e];
      const mine = ((e.payload.decisions as unknown[][] | undefined) ?? []).filter(
        (d) => d[0] === relationship?.id,
      );
      return mine.length ? [{ ...e, payload: { ...e.payload, decisions: mine } }] : [];
    }),
  };
}
