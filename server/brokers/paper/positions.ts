import { D, ZERO, type Decimal } from "../../domain/money";
import type { Side } from "../types";

export type Holding = { qty: Decimal; avgCost: Decimal };

export function signedQty(side: Side, qty: Decimal.Value): Decimal {
  return side === "buy" ? D(qty) : D(qty).neg();
}

/**
 * Position after a fill. Adding to a position averages the cost; reducing keeps it (the
 * realized P&L is in cash); crossing zero opens the remainder at the fill price.
 */
export function applyFill(pos: Holding, side: Side, qty: Decimal, price: Decimal): Holding {
  const delta = signedQty(side, qty);
  const next = pos.qty.plus(delta);
  if (next.isZero()) return { qty: ZERO, avgCost: ZERO };
  if (pos.qty.isZero() || pos.qty.isNeg() === delta.isNeg()) {
    const cost = pos.qty.abs().times(pos.avgCost).plus(qty.times(price));
    return { qty: next, avgCost: cost.div(next.abs()) };
  }
  if (next.isNeg() === pos.qty.isNeg()) return { qty: next, avgCost: pos.avgCost };
  return { qty: next, avgCost: price };
}

/** The part of an order that increases |position| (the rest reduces it). */
export function openingQty(position: Decimal, side: Side, qty: Decimal): Decimal {
  const delta = signedQty(side, qty);
  if (position.isZero() || position.isNeg() === delta.isNeg()) return qty;
  const beyond = qty.minus(position.abs());
  return beyond.gt(0) ? beyond : ZERO;
}
