import { D, ZERO, type Decimal } from "../../domain/money";
import type { Side } from "../types";
import { openingQty, signedQty } from "./positions";

/**
 * Buying power as collateral. Every open position ties up |qty| × mark × multiplier / L,
 * where L is the instrument's maxLeverage on a margin account and 1 otherwise; working
 * orders reserve the same for the part of them that would open exposure. Free collateral
 * = equity − used − reserved. For a cash account holding only longs this is exactly
 * `cash` (so "a buy needs cash >= notional + commission"); short-sale proceeds are locked
 * as collateral for the short, so they do not fund new positions.
 */

export type MarkInfo = {
  multiplier: string;
  maxLeverage: string;
  /** Latest quote, if any. */
  bid: string | null;
  ask: string | null;
};

export type BookSnapshot = {
  cash: Decimal;
  marginEnabled: boolean;
  positions: Array<{ symbol: string; qty: Decimal; avgCost: Decimal }>;
  openOrders: Array<{ symbol: string; side: Side; remaining: Decimal; limitPrice: string | null }>;
  marks: Map<string, MarkInfo>;
};

export function leverageOf(info: MarkInfo | undefined, marginEnabled: boolean): Decimal {
  if (!marginEnabled || !info) return D(1);
  const l = D(info.maxLeverage);
  return l.gt(1) ? l : D(1);
}

/** Mid of the latest quote; the average cost when there is no quote. */
function markPrice(info: MarkInfo | undefined, fallback: Decimal): Decimal {
  if (info?.bid != null && info.ask != null) return D(info.bid).plus(info.ask).div(2);
  return fallback;
}

/** Where an order would fill for reservation purposes: its limit, else the far side, else the mark. */
export function estimatePrice(
  info: MarkInfo | undefined,
  side: Side,
  limitPrice: string | null,
  fallback: Decimal,
): Decimal {
  if (limitPrice != null) return D(limitPrice);
  const far = side === "buy" ? info?.ask : info?.bid;
  return far != null ? D(far) : markPrice(info, fallback);
}

export type AccountValues = {
  equity: Decimal;
  used: Decimal;
  reserved: Decimal;
  freeCollateral: Decimal;
  /** Position of each symbol after every working order fills (used for flattening checks). */
  projected: Map<string, Decimal>;
};

export function accountValues(book: BookSnapshot): AccountValues {
  let equity = book.cash;
  let used = ZERO;
  const projected = new Map<string, Decimal>();
  const avgCost = new Map<string, Decimal>();
  for (const p of book.positions) {
    const info = book.marks.get(p.symbol);
    const mult = D(info?.multiplier ?? "1");
    const value = p.qty.times(markPrice(info, p.avgCost)).times(mult);
    equity = equity.plus(value);
    used = used.plus(value.abs().div(leverageOf(info, book.marginEnabled)));
    projected.set(p.symbol, p.qty);
    avgCost.set(p.symbol, p.avgCost);
  }
  let reserved = ZERO;
  for (const o of book.openOrders) {
    const info = book.marks.get(o.symbol);
    const pos = projected.get(o.symbol) ?? ZERO;
    const opening = openingQty(pos, o.side, o.remaining);
    const price = estimatePrice(info, o.side, o.limitPrice, avgCost.get(o.symbol) ?? ZERO);
    reserved = reserved.plus(
      opening
        .times(price)
        .times(info?.multiplier ?? "1")
        .div(leverageOf(info, book.marginEnabled)),
    );
    projected.set(o.symbol, pos.plus(signedQty(o.side, o.remaining)));
  }
  return { equity, used, reserved, freeCollateral: equity.minus(used).minus(reserved), projected };
}
