import { and, eq, sql } from "drizzle-orm";
import { brokerAccounts, brokerEventCursors, leaders, orders } from "../../../db/schema";
import type { BrokerFill, BrokerOrderEvent } from "../../brokers/types";
import { transition, type OrderState } from "../../domain/order-state";
import { bookFill } from "./book-fill";
import { brokerReportEvent } from "../execute/order-status";
import type { EngineDeps } from "../deps";
import { ingestLeaderFill, type LeaderFillInput } from "../ingest/leader-events";

/**
 * Reads one account's order-event stream from its broker and applies it. Events may come
 * twice, late, out of order or never: fills are de-duplicated by trade id in `bookFill`,
 * stale status reports are no-ops in the state machine, and what never comes is fetched by
 * reconciliation. Events for orders we do not know (placed outside Tandem) are left to
 * reconciliation too. Returns how many events were read.
 */
export async function consumeBrokerEvents(
  deps: EngineDeps,
  brokerAccountId: string,
): Promise<number> {
  const [acct] = await deps.db
    .select()
    .from(brokerAccounts)
    .where(eq(brokerAccounts.id, brokerAccountId));
  if (!acct) throw new Error(`unknown broker account ${brokerAccountId}`);
  const [cursor] = await deps.db
    .select()
    .from(brokerEventCursors)
    .where(eq(brokerEventCursors.brokerAccountId, brokerAccountId));
  let last = cursor?.lastSeq ?? 0;
  let read = 0;
  // A leader's own fills are also the leader's stream: they are what followers copy.
  const [leader] = await deps.db
    .select({ id: leaders.id })
    .from(leaders)
    .where(eq(leaders.brokerAccountId, brokerAccountId));
  for (;;) {
    const batch = await deps.broker(acct.broker).readEvents(acct.externalId, last, 500);
    if (batch.length === 0) break;
    read += batch.length;
    for (const ev of batch) {
      await applyBrokerEvent(deps, brokerAccountId, ev);
      if (leader && ev.fill) {
        await ingestLeaderFill(deps, leaderFillOf(leader.id, ev.fill));
      }
    }
    const maxSeq = Math.max(last, ...batch.map((e) => e.seq));
    if (maxSeq === last) break;
    last = maxSeq;
    await deps.db
      .insert(brokerEventCursors)
      .values({ brokerAccountId, lastSeq: last })
      .onConflictDoUpdate({ target: brokerEventCursors.brokerAccountId, set: { lastSeq: last } });
  }
  return read;
}

export async function applyBrokerEvent(
  deps: EngineDeps,
  brokerAccountId: string,
  ev: BrokerOrderEvent,
): Promise<void> {
  await deps.db.transaction(async (tx) => {
    const [order] = await tx
      .select()
      .from(orders)
      .where(
        and(
          eq(orders.brokerAccountId, brokerAccountId),
          eq(orders.clientOrderId, ev.clientOrderId),
        ),
      )
      .for("update");
    if (!order) return;
    if (ev.fill) {
      await bookFill(tx, order, fillOf(ev.fill), deps.clock.now());
      return;
    }
    const event = brokerReportEvent(ev.type);
    if (!event) return; // fill-less partially_filled/filled reports carry nothing new
    const state = order.status as OrderState;
    let next: OrderState;
    try {
      next = transition(state, event);
    } catch {
      deps.log.warn(
        { clientOrderId: order.clientOrderId, state, event },
        "ignored broker report that contradicts the order's state",
      );
      return;
    }
    if (next !== state || (ev.brokerOrderId && !order.brokerOrderId)) {
      await tx
        .update(orders)
        .set({
          status: next,
          brokerOrderId: order.brokerOrderId ?? ev.brokerOrderId,
          rejectReason: ev.reason ?? order.rejectReason,
          updatedAt: deps.clock.now(),
        })
        .where(eq(orders.id, order.id));
    }
  });
}

/** A leader's broker fill as the leader stream takes it, commission included. */
export function leaderFillOf(leaderId: string, f: BrokerFill): LeaderFillInput {
  return {
    leaderId,
    fillId: f.tradeId,
    orderId: f.brokerOrderId,
    symbol: f.symbol,
    side: f.side,
    qty: f.qty,
    price: f.price,
    commission: f.commission,
    at: f.at,
  };
}

export function fillOf(f: BrokerFill) {
  return {
    tradeId: f.tradeId,
    qty: f.qty,
    price: f.price,
    commission: f.commission,
    at: f.at,
    brokerOrderId: f.brokerOrderId,
  };
}

/** Accounts with orders that can still change: the ones worth polling. */
export async function accountsWithLiveOrders(deps: EngineDeps): Promise<string[]> {
  const rows = await deps.db.execute<{ id: string }>(
    sql`select distinct broker_account_id as id from orders where status not in ('filled','cancelled','rejected','expired') order by 1`,
  );
  return rows.map((r) => r.id);
}
