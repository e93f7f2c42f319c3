import { D, fmt, isOnStep, quantizeTowardZero, ZERO, type Decimal } from "../../domain/money";
import type { BrokerOrderStatus, Side } from "../types";
import type { AccountStore } from "./account-store";
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
  a: AccountStore,
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
  const prior = await a.priorNotional(order.id);
  const avg = D(prior ?? "0")
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
  await a.updateOrderProgress(order);
  await a.insertFill({
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
  a: AccountStore,
  symbol: string,
  side: Side,
  qty: Decimal,
  price: Decimal,
) {
  const row = await a.position(symbol);
  const next = applyFill(
    row ? { qty: D(row.qty), avgCost: D(row.avgCost) } : { qty: ZERO, avgCost: ZERO },
    side,
    qty,
    price,
  );
  await a.writePosition(symbol, row, next);
}
