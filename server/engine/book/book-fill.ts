import { and, eq, sql } from "drizzle-orm";
import {
  accountBalances,
  brokerAccounts,
  copyPositions,
  fills,
  instruments,
  orders,
  positions,
} from "../../../db/schema";
import { D, fmt } from "../../domain/money";
import {
  applyFill,
  applyFillToPosition,
  transition,
  type OrderState,
} from "../../domain/order-state";
import { accountStream, appendEvents, type Tx } from "../core/streams";
import { brokerCommissions, brokerSettlement, cashAccount, postJournal } from "./ledger";

export type IncomingFill = {
  tradeId: string;
  qty: string;
  price: string;
  commission: string;
  at: Date;
};
type OrderRow = typeof orders.$inferSelect;

/**
 * Books one broker fill, exactly once per (account, trade id): the fill row, the order's
 * filled quantity and state, the account position and the copy's share of it, cash, and
 * the ledger journal — all in the caller's transaction, with the event.
 * Returns false when the trade id was already booked.
 */
export async function bookFill(
  tx: Tx,
  order: OrderRow,
  f: IncomingFill,
  now: Date,
): Promise<boolean> {
  const inserted = await tx
    .insert(fills)
    .values({
      orderId: order.id,
      brokerAccountId: order.brokerAccountId,
      brokerTradeId: f.tradeId,
      qty: f.qty,
      price: f.price,
      fee: f.commission,
      filledAt: f.at,
    })
    .onConflictDoNothing()
    .returning({ id: fills.id });
  if (inserted.length === 0) return false;

  const [locked] = await tx.select().from(orders).where(eq(orders.id, order.id)).for("update");
  const o = locked!;
  const acc = applyFill(
    { qty: o.qty, filledQty: o.filledQty, avgPrice: o.avgPrice },
    { qty: f.qty, price: f.price },
  );
  const state = o.status as OrderState;
  const next = acc.complete ? safeTransition(state, "fill") : safeTransition(state, "fill_partial");
  await tx
    .update(orders)
    .set({
      filledQty: fmt(acc.filledQty),
      avgPrice: fmt(acc.avgPrice),
      status: next,
      updatedAt: now,
    })
    .where(eq(orders.id, o.id));

  const [inst] = await tx
    .select({ multiplier: instruments.multiplier, currency: instruments.currency })
    .from(instruments)
    .where(eq(instruments.symbol, o.symbol));
  const mult = inst?.multiplier ?? "1";
  const signed = o.side === "buy" ? D(f.qty) : D(f.qty).neg();

  const [pos] = await tx
    .select()
    .from(positions)
    .where(and(eq(positions.brokerAccountId, o.brokerAccountId), eq(positions.symbol, o.symbol)))
    .for("update");
  const p = applyFillToPosition(
    { qty: pos?.qty ?? "0", avgCost: pos?.avgCost ?? "0", realizedPnl: pos?.realizedPnl ?? "0" },
    { signedQty: signed, price: f.price, multiplier: mult },
  );
  await tx
    .insert(positions)
    .values({
      brokerAccountId: o.brokerAccountId,
      symbol: o.symbol,
      qty: fmt(p.qty),
      avgCost: fmt(p.avgCost),
      realizedPnl: fmt(p.realizedPnl),
      updatedAt: now,
    })
    .onConflictDoUpdate({
      target: [positions.brokerAccountId, positions.symbol],
      set: {
        qty: fmt(p.qty),
        avgCost: fmt(p.avgCost),
        realizedPnl: fmt(p.realizedPnl),
        updatedAt: now,
      },
    });

  if (o.relationshipId) {
    const [cp] = await tx
      .select()
      .from(copyPositions)
      .where(
        and(eq(copyPositions.relationshipId, o.relationshipId), eq(copyPositions.symbol, o.symbol)),
      )
      .for("update");
    const c = applyFillToPosition(
      { qty: cp?.qty ?? "0", avgCost: cp?.avgCost ?? "0", realizedPnl: cp?.realizedPnl ?? "0" },
      { signedQty: signed, price: f.price, multiplier: mult },
    );
    const fees = fmt(D(cp?.fees ?? 0).plus(f.commission));
    await tx
      .insert(copyPositions)
      .values({
        relationshipId: o.relationshipId,
        symbol: o.symbol,
        qty: fmt(c.qty),
        avgCost: fmt(c.avgCost),
        realizedPnl: fmt(c.realizedPnl),
        fees,
        updatedAt: now,
      })
      .onConflictDoUpdate({
        target: [copyPositions.relationshipId, copyPositions.symbol],
        set: {
          qty: fmt(c.qty),
          avgCost: fmt(c.avgCost),
          realizedPnl: fmt(c.realizedPnl),
          fees,
          updatedAt: now,
        },
      });
  }

  const cashDelta = signed.times(f.price).times(mult).neg().minus(f.commission);
  const currency = inst?.currency ?? "USD";
  await tx
    .insert(accountBalances)
    .values({ brokerAccountId: o.brokerAccountId, currency, cash: fmt(cashDelta), updatedAt: now })
    .onConflictDoUpdate({
      target: accountBalances.brokerAccountId,
      set: { cash: sql`${accountBalances.cash} + ${fmt(cashDelta)}::numeric`, updatedAt: now },
    });

  const [acct] = await tx
    .select({ broker: brokerAccounts.broker, userId: brokerAccounts.userId })
    .from(brokerAccounts)
    .where(eq(brokerAccounts.id, o.brokerAccountId));
  const broker = acct?.broker ?? "paper";
  const notional = signed.times(f.price).times(mult);
  await postJournal(
    tx,
    {
      kind: "trade",
      description: `${o.side} ${f.qty} ${o.symbol} @ ${f.price} (${o.clientOrderId})`,
      currency,
      at: f.at,
      correlationId: o.correlationId,
      orderId: o.id,
      relationshipId: o.relationshipId,
    },
    [
      {
        code: cashAccount(o.brokerAccountId),
        amount: fmt(notional.neg()),
        ownerUserId: acct?.userId,
      },
      { code: brokerSettlement(broker), amount: fmt(notional) },
      {
        code: cashAccount(o.brokerAccountId),
        amount: fmt(D(f.commission).neg()),
        ownerUserId: acct?.userId,
      },
      { code: brokerCommissions(broker), amount: fmt(f.commission) },
    ],
  );
  await appendEvents(tx, [
    {
      stream: accountStream(o.brokerAccountId),
      type: "order_fill",
      payload: {
        clientOrderId: o.clientOrderId,
        tradeId: f.tradeId,
        qty: f.qty,
        price: f.price,
        fee: f.commission,
        status: next,
      },
      at: f.at,
      correlationId: o.correlationId,
    },
  ]);
  return true;
}

/**
 * A fill is a fact the broker reports: it is booked whatever state we thought the order was
 * in (a late fill after a cancel, a fill on an order we still had as unknown). The state
 * follows the table where it has an entry and stays put otherwise.
 */
function safeTransition(state: OrderState, event: "fill" | "fill_partial"): OrderState {
  try {
    return transition(state, event);
  } catch {
    return event === "fill" ? "filled" : state;
  }
}
