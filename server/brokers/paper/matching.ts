import { and, eq, sql } from "drizzle-orm";
import { paperFills, paperOrders, paperPositions } from "../../../db/schema/paper-broker";
import { D, fmt, isOnStep, quantizeTowardZero, ZERO, type Decimal } from "../../domain/money";
import type { BrokerOrderStatus, Side } from "../types";
import type { AccountTx } from "./account-tx";
import { applyFill, signedQty } from "./positions";
import { fillCommission, limitFillPrice, marketFillPrice, type Quote } from "./pricing";
import { seqId, type OrderRow } from "./rows";
import type { Instrument } from "./validation";

/**
 * Fills as much of one working order as this quote allows: everything, or at most
 * `maxFillQty` when the symbol has a liquidity limit (the rest waits for later quotes).
 * Writes the fill, the order, the position, the cash and one event. Mutates `order`.
 */
export async function matchOrder(
  a: AccountTx,
  order: OrderRow,
  ins: Instrument,
  quote: Quote,
  at: Date,
  maxFillQty: string | null,
): Promise<void> {
  const remaining = D(order.qty).minus(order.filledQty);
  if (remaining.lte(0)) return;
  const side = order.side as Side;
  const slippage = a.config.slippageBps ?? "0";
  const price =
    order.type === "market"
      ? marketFillPrice(side, quote, slippage, ins.tickSize)
      : limitFillPrice(side, quote, order.limitPrice!, slippage, ins.tickSize);
  if (!price) return;

  const qty = fillQty(remaining, maxFillQty, ins.qtyStep);
  const firstFill = D(order.filledQty).isZero();
  const commission = fillCommission(
    a.config.commission,
    ins.commissionPerUnit,
    qty,
    price,
    ins.multiplier,
    firstFill,
  );
  const filled = D(order.filledQty).plus(qty);
  // From the exact notional of the earlier fills (numeric sum in SQL), not a running average
  // that would carry a rounded quotient forward.
  const [prior] = await a.tx
    .select({ notional: sql<string | null>`sum(${paperFills.qty} * ${paperFills.price})` })
    .from(paperFills)
    .where(eq(paperFills.orderId, order.id));
  const avg = D(prior?.notional ?? "0")
    .plus(price.times(qty))
    .div(filled);
  const status: BrokerOrderStatus = filled.gte(order.qty) ? "filled" : "partially_filled";

  const seq = a.nextSeq();
  const tradeId = seqId("PT", a.id, seq);
  order.filledQty = fmt(filled);
  order.avgPrice = fmt(avg);
  order.status = status;
  order.commission = fmt(D(order.commission).plus(commission));
  order.updatedAt = at;
  await a.tx
    .update(paperOrders)
    .set({
      filledQty: order.filledQty,
      avgPrice: order.avgPrice,
      status,
      commission: order.commission,
      updatedAt: at,
    })
    .where(eq(paperOrders.id, order.id));
  await a.tx.insert(paperFills).values({
    tradeId,
    orderId: order.id,
    accountId: a.id,
    qty: fmt(qty),
    price: fmt(price),
    commission: fmt(commission),
    at,
  });
  await updatePosition(a, order.symbol, side, qty, price);
  // Full settlement: the whole notional moves now; commission is always a debit.
  a.cash = a.cash.minus(signedQty(side, qty).times(price).times(ins.multiplier)).minus(commission);

  await a.emit({
    seq,
    accountId: a.id,
    type: status,
    clientOrderId: order.clientOrderId,
    brokerOrderId: order.id,
    symbol: order.symbol,
    side,
    filledQty: order.filledQty,
    at,
    fill: {
      tradeId,
      brokerOrderId: order.id,
      clientOrderId: order.clientOrderId,
      accountId: a.id,
      symbol: order.symbol,
      side,
      qty: fmt(qty),
      price: fmt(price),
      commission: fmt(commission),
      at,
    },
  });
}

/** min(remaining, maxFillQty), kept on the quantity step (never zero while something remains). */
function fillQty(remaining: Decimal, maxFillQty: string | null, step: string): Decimal {
  if (maxFillQty == null || remaining.lte(maxFillQty)) return remaining;
  let q = D(maxFillQty);
  if (!isOnStep(q, step)) q = quantizeTowardZero(q, step);
  if (q.lte(ZERO)) q = D(step).lt(remaining) ? D(step) : remaining;
  return q;
}

async function updatePosition(
  a: AccountTx,
  symbol: string,
  side: Side,
  qty: Decimal,
  price: Decimal,
) {
  const where = and(eq(paperPositions.accountId, a.id), eq(paperPositions.symbol, symbol));
  const [row] = await a.tx.select().from(paperPositions).where(where);
  const next = applyFill(
    row ? { qty: D(row.qty), avgCost: D(row.avgCost) } : { qty: ZERO, avgCost: ZERO },
    side,
    qty,
    price,
  );
  if (next.qty.isZero()) {
    if (row) await a.tx.delete(paperPositions).where(where);
  } else if (row) {
    await a.tx
      .update(paperPositions)
      .set({ qty: fmt(next.qty), avgCost: fmt(next.avgCost) })
      .where(where);
  } else {
    await a.tx
      .insert(paperPositions)
      .values({ accountId: a.id, symbol, qty: fmt(next.qty), avgCost: fmt(next.avgCost) });
  }
}
