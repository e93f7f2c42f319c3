import { D, maxDec, minDec, roundToTick, type Decimal } from "../../domain/money";
import type { Side } from "../types";

/**
 * Fill prices and commissions. Pure: the broker passes the quote, the instrument and the
 * account's configuration.
 */

export type Quote = { bid: string; ask: string; at: Date };

export type CommissionSchedule = {
  /** Per unit of quantity; defaults to the instrument's commissionPerUnit. */
  perUnit?: string;
  /** Basis points of notional (qty × price × multiplier). */
  bps?: string;
  /** Per order; charged with the first fill (later fills pay their own per-unit/bps part). */
  minimum?: string;
};

const BPS = D(10_000);

/**
 * Market fills take the far side of the book (buy at ask, sell at bid) plus slippage.
 * With slippage the price is rounded to the tick against the trader, so a slipped price is
 * still a price the market could print; without slippage it is exactly the quote.
 */
export function marketFillPrice(
  side: Side,
  quote: Quote,
  slippageBps: string,
  tickSize: string,
): Decimal {
  const base = D(side === "buy" ? quote.ask : quote.bid);
  const slip = D(slippageBps);
  if (slip.isZero()) return base;
  const factor = side === "buy" ? D(1).plus(slip.div(BPS)) : D(1).minus(slip.div(BPS));
  return roundToTick(base.times(factor), tickSize, side === "buy" ? "up" : "down");
}

/** A limit fills when the quote crosses it, at the quote (price improvement) but never worse than the limit. */
export function limitFillPrice(
  side: Side,
  quote: Quote,
  limitPrice: string,
  slippageBps: string,
  tickSize: string,
): Decimal | null {
  const limit = D(limitPrice);
  if (side === "buy" ? D(quote.ask).gt(limit) : D(quote.bid).lt(limit)) return null;
  const p = marketFillPrice(side, quote, slippageBps, tickSize);
  return side === "buy" ? minDec(p, limit) : maxDec(p, limit);
}

/** Commission of one fill. `isFirstFill` applies the per-order minimum. */
export function fillCommission(
  schedule: CommissionSchedule | undefined,
  instrumentPerUnit: string,
  qty: Decimal,
  price: Decimal,
  multiplier: string,
  isFirstFill: boolean,
): Decimal {
  const perUnit = D(schedule?.perUnit ?? instrumentPerUnit);
  const bps = D(schedule?.bps ?? "0");
  const raw = perUnit.times(qty).plus(qty.times(price).times(multiplier).times(bps).div(BPS));
  const minimum = D(schedule?.minimum ?? "0");
  return isFirstFill && raw.lt(minimum) ? minimum : raw;
}
