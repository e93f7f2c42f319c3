import type { instruments } from "../../../db/schema/instruments";
import { D, isOnStep, ZERO, type Decimal } from "../../domain/money";
import type { RejectReason, Side } from "../types";
import { leverageOf, type MarkInfo } from "./margin";
import { openingQty, signedQty } from "./positions";
import { fillCommission, marketFillPrice, type CommissionSchedule, type Quote } from "./pricing";
import { isMarketOpen } from "./trading-hours";

export type Instrument = typeof instruments.$inferSelect;

export type ParsedOrder = {
  symbol: string;
  side: Side;
  type: "market" | "limit";
  qty: Decimal;
  limitPrice: Decimal | null;
};

export type ValidationInput = {
  order: ParsedOrder;
  instrument: Instrument | undefined;
  quote: Quote | null;
  now: Date;
  /** Current position and the position after all working orders fill. */
  position: Decimal;
  projected: Decimal;
  freeCollateral: Decimal;
  marginEnabled: boolean;
  slippageBps: string;
  commission: CommissionSchedule | undefined;
};

/**
 * The broker's acceptance checks, in a fixed order so that the reason is stable. An order
 * that takes the position (now, or after the working orders) to exactly zero is exempt
 * from the step and minimum-size checks: the engine always sends a flattening order, and a
 * broker that refused it would strand a dust position forever.
 */
export function validateOrder(v: ValidationInput): RejectReason | null {
  const { order, instrument: ins } = v;
  if (!ins) return "UNKNOWN_SYMBOL";
  if (!isMarketOpen(ins.tradingHours, v.now)) return "MARKET_CLOSED";
  if (order.limitPrice && !isOnStep(order.limitPrice, ins.tickSize)) return "PRICE_OFF_TICK";
  if (order.type === "market" && !v.quote) return "NO_QUOTE";

  // Price used for notional checks: where a market order would fill now, or the limit.
  const price =
    order.limitPrice ?? marketFillPrice(order.side, v.quote!, v.slippageBps, ins.tickSize);
  const delta = signedQty(order.side, order.qty);
  const flattens =
    (!v.position.isZero() && v.position.plus(delta).isZero()) ||
    (!v.projected.isZero() && v.projected.plus(delta).isZero());
  if (!flattens) {
    if (!isOnStep(order.qty, ins.qtyStep)) return "QTY_NOT_ON_STEP";
    if (order.qty.lt(ins.minQty)) return "BELOW_MIN_QTY";
    if (order.qty.times(price).times(ins.multiplier).lt(ins.minNotional))
      return "BELOW_MIN_NOTIONAL";
  }

  // Reductions are always allowed; only the opening part needs collateral.
  const opening = openingQty(v.projected, order.side, order.qty);
  if (opening.gt(ZERO)) {
    const info: MarkInfo = {
      multiplier: ins.multiplier,
      maxLeverage: ins.maxLeverage,
      bid: null,
      ask: null,
    };
    const collateral = opening
      .times(price)
      .times(ins.multiplier)
      .div(leverageOf(info, v.marginEnabled));
    const fee = fillCommission(
      v.commission,
      ins.commissionPerUnit,
      order.qty,
      price,
      ins.multiplier,
      true,
    );
    if (collateral.plus(fee).gt(v.freeCollateral)) return "INSUFFICIENT_BUYING_POWER";
  }
  return null;
}

const DECIMAL = /^\d+(\.\d+)?$/;

/** Shape checks of a request; null when malformed (rejected as INVALID_ORDER, not persisted). */
export function parseOrder(req: {
  symbol: unknown;
  side: unknown;
  type: unknown;
  qty: unknown;
  limitPrice?: unknown;
}): ParsedOrder | null {
  if (typeof req.symbol !== "string" || req.symbol === "") return null;
  if (req.side !== "buy" && req.side !== "sell") return null;
  if (req.type !== "market" && req.type !== "limit") return null;
  if (typeof req.qty !== "string" || !DECIMAL.test(req.qty) || D(req.qty).lte(0)) return null;
  let limitPrice: Decimal | null = null;
  if (req.type === "limit") {
    if (
      typeof req.limitPrice !== "string" ||
      !DECIMAL.test(req.limitPrice) ||
      D(req.limitPrice).lte(0)
    )
      return null;
    limitPrice = D(req.limitPrice);
  } else if (req.limitPrice !== undefined) {
    return null;
  }
  return { symbol: req.symbol, side: req.side, type: req.type, qty: D(req.qty), limitPrice };
}
