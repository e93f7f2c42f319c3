import {
  FX_ZERO,
  fx,
  fxAbs,
  fxCmp,
  fxDecimal,
  fxDiv,
  fxMinus,
  fxNeg,
  fxPlus,
  fxSign,
  fxText,
  fxTimes,
  type Fixed,
} from "./fixed";
import { Decimal, DomainError } from "./money";

/**
 * Order lifecycle as an explicit transition table, modelled on NautilusTrader's
 * (nautilus_trader/model/orders/base.pyx). Differences from it, and why:
 *
 * - `unknown`: a submission that timed out. The order may or may not exist at the broker.
 *   It leaves `unknown` only on what the broker says when asked for the client order id:
 *   any report (accept, fill, reject, cancel, expire) is applied as usual, and
 *   `resolve_not_found` — the broker has no such order — returns it to `pending_submit`
 *   so it is submitted again with the same client order id. A later report is still
 *   accepted from `pending_submit`: a missing report never proves the order did not exist.
 * - Late fills after a cancel: `pending_cancel` + fill → filled. `pending_cancel` +
 *   fill_partial stays `pending_cancel` (Nautilus moves to PARTIALLY_FILLED and forgets
 *   that a cancel is in flight; we keep it so the engine does not send a second cancel).
 * - Fill after `cancelled` / `expired`: a fill completing the order → `filled` (the cancel
 *   lost the race entirely). A partial fill keeps `cancelled` / `expired` with filledQty
 *   updated. Nautilus goes back to PARTIALLY_FILLED, but that is a working state: its
 *   remainder would count as quantity still on its way in orderDelta, and the engine
 *   would wait for fills that can no longer come.
 * - Stale and duplicate reports are no-ops rather than errors (an `accept` after a fill,
 *   a second `cancel`), because brokers duplicate and reorder events and a replay injects
 *   exactly that. Reports that contradict a definitive outcome (a fill on a rejected order,
 *   a fill or cancel on a filled order) are errors.
 */
export const ORDER_STATES = [
  "pending_submit",
  "submitted",
  "accepted",
  "partially_filled",
  "filled",
  "pending_cancel",
  "cancelled",
  "rejected",
  "expired",
  "unknown",
] as const;
export type OrderState = (typeof ORDER_STATES)[number];

export const ORDER_EVENTS = [
  /** We sent it to the broker. */
  "submit",
  /** The broker definitively did not get it (error before accept): safe to send again. */
  "submit_failed",
  /** No answer to the submission: the outcome is unknown until we ask. */
  "timeout",
  /** Asked the broker for the client order id: it has no such order. */
  "resolve_not_found",
  "accept",
  "reject",
  "fill_partial",
  "fill",
  "cancel_request",
  /** The broker refused to cancel; the order keeps working. */
  "cancel_reject",
  "cancel",
  "expire",
] as const;
export type OrderEvent = (typeof ORDER_EVENTS)[number];

type Row = Partial<Record<OrderEvent, OrderState>>;

const BROKER_REPORTS_WHILE_LIVE: Row = {
  accept: "accepted",
  reject: "rejected",
  fill_partial: "partially_filled",
  fill: "filled",
  cancel: "cancelled",
  expire: "expired",
};

/** cancel_reject out of pending_cancel depends on fills; see `transition`. */
export const TRANSITIONS: Readonly<Record<OrderState, Readonly<Row>>> = {
  pending_submit: {
    submit: "submitted",
    // late reports for an order we were about to resubmit: the broker had it after all
    ...BROKER_REPORTS_WHILE_LIVE,
  },
  submitted: {
    submit_failed: "pending_submit",
    timeout: "unknown",
    cancel_request: "pending_cancel",
    ...BROKER_REPORTS_WHILE_LIVE,
  },
  unknown: {
    resolve_not_found: "pending_submit",
    timeout: "unknown",
    ...BROKER_REPORTS_WHILE_LIVE,
  },
  accepted: {
    accept: "accepted",
    fill_partial: "partially_filled",
    fill: "filled",
    cancel_request: "pending_cancel",
    cancel: "cancelled",
    expire: "expired",
  },
  partially_filled: {
    accept: "partially_filled",
    fill_partial: "partially_filled",
    fill: "filled",
    cancel_request: "pending_cancel",
    cancel: "cancelled",
    expire: "expired",
  },
  pending_cancel: {
    accept: "pending_cancel",
    cancel_request: "pending_cancel",
    fill_partial: "pending_cancel",
    fill: "filled",
    cancel: "cancelled",
    expire: "expired",
    cancel_reject: "accepted",
  },
  filled: {
    accept: "filled",
    // the cancel lost the race to the fill
    cancel_reject: "filled",
  },
  cancelled: {
    accept: "cancelled",
    cancel: "cancelled",
    cancel_request: "cancelled",
    fill_partial: "cancelled",
    fill: "filled",
  },
  expired: {
    accept: "expired",
    expire: "expired",
    cancel: "expired",
    cancel_request: "expired",
    fill_partial: "expired",
    fill: "filled",
  },
  rejected: {
    reject: "rejected",
  },
};

const TERMINAL: ReadonlySet<OrderState> = new Set(["filled", "cancelled", "rejected", "expired"]);

export function isTerminal(state: OrderState): boolean {
  return TERMINAL.has(state);
}

/**
 * Whether the order's unfilled remainder may still fill and so counts as "open copy
 * order" quantity in orderDelta. `unknown` counts: treating it as absent could double
 * the position when it turns out to exist.
 */
export function isOpen(state: OrderState): boolean {
  return !TERMINAL.has(state);
}

export function canTransition(state: OrderState, event: OrderEvent): boolean {
  return TRANSITIONS[state]?.[event] !== undefined;
}

/**
 * @param ctx.hasFills needed only for cancel_reject out of pending_cancel: the order
 *   returns to partially_filled if anything has filled, else to accepted.
 */
export function transition(
  state: OrderState,
  event: OrderEvent,
  ctx: { hasFills?: boolean } = {},
): OrderState {
  const next = TRANSITIONS[state]?.[event];
  if (next === undefined) {
    throw new DomainError(
      "INVALID_TRANSITION",
      `order in state ${state} cannot take event ${event}`,
    );
  }
  if (state === "pending_cancel" && event === "cancel_reject" && ctx.hasFills) {
    return "partially_filled";
  }
  return next;
}

export interface OrderFillState {
  /** Ordered quantity, positive. */
  qty: Decimal.Value;
  filledQty: Decimal.Value;
  /** Volume-weighted average fill price so far; ignored while nothing has filled. */
  avgPrice?: Decimal.Value | null;
}

/**
 * Accumulates one fill into an order. Quantities are unsigned here (the side lives on the
 * order). An over-fill is an error: it means a duplicate fill slipped past trade-id
 * de-duplication, and silently absorbing it would corrupt the position. The rule is
 * `fxApplyFill`'s (the booking's, on scaled integers); this takes and gives Decimals.
 */
export function applyFill(
  order: OrderFillState,
  fill: { qty: Decimal.Value; price: Decimal.Value },
): { filledQty: Decimal; avgPrice: Decimal; complete: boolean; remainingQty: Decimal } {
  const r = fxApplyFill(
    {
      qty: fx(order.qty),
      filledQty: fx(order.filledQty),
      avgPrice: order.avgPrice == null ? null : fx(order.avgPrice),
    },
    { qty: fx(fill.qty), price: fx(fill.price) },
  );
  return {
    filledQty: fxDecimal(r.filledQty),
    avgPrice: fxDecimal(r.avgPrice),
    complete: r.complete,
    remainingQty: fxDecimal(r.remainingQty),
  };
}

/**
 * `applyFill` on scaled integers (fixed.ts), for the booking of thousands of fills: the same
 * numbers decimal.js gives at 50 digits (order-state.test.ts holds the two together), with
 * decimal.js's division only where the average is not a whole quotient.
 */
export function fxApplyFill(
  order: { qty: Fixed; filledQty: Fixed; avgPrice: Fixed | null },
  fill: { qty: Fixed; price: Fixed },
): { filledQty: Fixed; avgPrice: Fixed; complete: boolean; remainingQty: Fixed } {
  const { qty, filledQty: filled } = order;
  const { qty: fq, price } = fill;
  if (fxSign(qty) <= 0) throw new DomainError("INVALID_FILL", "order quantity must be positive");
  if (fxSign(filled) < 0)
    throw new DomainError("INVALID_FILL", "filled quantity must not be negative");
  if (fxSign(fq) <= 0)
    throw new DomainError("INVALID_FILL", `fill quantity must be positive, got ${fxText(fq)}`);
  if (fxSign(price) <= 0)
    throw new DomainError("INVALID_FILL", `fill price must be positive, got ${fxText(price)}`);
  const newFilled = fxPlus(filled, fq);
  const vsQty = fxCmp(newFilled, qty);
  if (vsQty > 0) {
    throw new DomainError(
      "OVERFILL",
      `fill of ${fxText(fq)} on ${fxText(filled)}/${fxText(qty)} would exceed the order quantity`,
    );
  }
  const prevAvg = filled.n === 0n ? FX_ZERO : (order.avgPrice ?? FX_ZERO);
  const avgPrice = fxDiv(fxPlus(fxTimes(prevAvg, filled), fxTimes(price, fq)), newFilled);
  return {
    filledQty: newFilled,
    avgPrice,
    complete: vsQty === 0,
    remainingQty: fxMinus(qty, newFilled),
  };
}

export interface PositionState {
  /** Signed quantity: positive long, negative short. */
  qty: Decimal.Value;
  /** Average entry price of the open quantity; 0 when flat. */
  avgCost: Decimal.Value;
  realizedPnl: Decimal.Value;
}

// Module level, not a closure: it runs twice per booked fill, and a named closure costs the
// TypeScript loader's name-keeping wrapper on every call (ADR 0041).
function positionResult(realized: Fixed, qty: Fixed, avgCost: Fixed, delta: Fixed) {
  return {
    qty: qty.n === 0n ? FX_ZERO : qty,
    avgCost: qty.n === 0n ? FX_ZERO : avgCost,
    realizedPnl: fxPlus(realized, delta),
    realizedPnlDelta: delta.n === 0n ? FX_ZERO : delta,
  };
}

/**
 * Average-cost position accounting. Adding to a position re-averages the cost; reducing
 * realizes (price − avgCost) × closed qty × multiplier (sign flipped for shorts) and keeps
 * the cost of what remains; a flip closes everything and opens the remainder at the fill
 * price. Fees are not included: they are separate ledger postings. The rule is
 * `fxApplyFillToPosition`'s; this takes and gives Decimals.
 */
export function applyFillToPosition(
  pos: PositionState,
  fill: { signedQty: Decimal.Value; price: Decimal.Value; multiplier: Decimal.Value },
): { qty: Decimal; avgCost: Decimal; realizedPnl: Decimal; realizedPnlDelta: Decimal } {
  const r = fxApplyFillToPosition(
    { qty: fx(pos.qty), avgCost: fx(pos.avgCost), realizedPnl: fx(pos.realizedPnl) },
    { signedQty: fx(fill.signedQty), price: fx(fill.price), multiplier: fx(fill.multiplier) },
  );
  return {
    qty: fxDecimal(r.qty),
    avgCost: fxDecimal(r.avgCost),
    realizedPnl: fxDecimal(r.realizedPnl),
    realizedPnlDelta: fxDecimal(r.realizedPnlDelta),
  };
}

/** `applyFillToPosition` on scaled integers, for the booking (see `fxApplyFill`). */
export function fxApplyFillToPosition(
  pos: { qty: Fixed; avgCost: Fixed; realizedPnl: Fixed },
  fill: { signedQty: Fixed; price: Fixed; multiplier: Fixed },
): { qty: Fixed; avgCost: Fixed; realizedPnl: Fixed; realizedPnlDelta: Fixed } {
  const { qty: q, avgCost: avg, realizedPnl: realized } = pos;
  const { signedQty: s, price, multiplier: mult } = fill;
  if (fxSign(price) <= 0)
    throw new DomainError("INVALID_FILL", `fill price must be positive, got ${fxText(price)}`);
  if (fxSign(mult) <= 0)
    throw new DomainError("INVALID_FILL", `multiplier must be positive, got ${fxText(mult)}`);

  const newQty = fxPlus(q, s);
  const sq = fxSign(q);

  if (s.n === 0n) return positionResult(realized, q, avg, FX_ZERO);
  if (sq === 0 || sq === fxSign(s)) {
    const cost = fxPlus(fxTimes(fxAbs(q), avg), fxTimes(fxAbs(s), price));
    return positionResult(realized, newQty, fxDiv(cost, fxAbs(newQty)), FX_ZERO);
  }
  const closed = fxCmp(fxAbs(s), fxAbs(q)) < 0 ? fxAbs(s) : fxAbs(q);
  const pnl = fxTimes(fxTimes(fxMinus(price, avg), closed), mult);
  const signedPnl = sq < 0 ? fxNeg(pnl) : pnl;
  if (fxSign(newQty) === sq) return positionResult(realized, newQty, avg, signedPnl);
  return positionResult(realized, newQty, price, signedPnl);
}
