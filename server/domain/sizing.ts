import { D, Decimal, DomainError, ZERO, quantizeTowardZero, sign } from "./money";

export type SizingMode = "proportional" | "multiplier" | "fixed_notional";

export const SIZING_MODES: readonly SizingMode[] = ["proportional", "multiplier", "fixed_notional"];

/**
 * r × leader position is rounded to this many significant digits before quantizing.
 * A ratio such as 10000/30000 has no finite decimal form, so at 50 digits
 * r × 3 = 0.999…9 and truncation would give 0 instead of the intended 1. Rounding to 30
 * digits absorbs that representation error (≈1e-50 relative) while being far below any
 * real quantity step. Consequence for storage: keep `r` with all its digits (unconstrained
 * `numeric`); a ratio cut to, say, 18 decimals carries an error this guard cannot absorb.
 */
export const TARGET_GUARD_DIGITS = 30;

/** r = allocation / leader equity (cash plus positions at market). */
export function proportionalRatio(allocation: Decimal.Value, leaderEquity: Decimal.Value): Decimal {
  const a = D(allocation);
  const e = D(leaderEquity);
  if (a.isNeg() && !a.isZero()) {
    throw new DomainError(
      "INVALID_ALLOCATION",
      `allocation must not be negative, got ${a.toFixed()}`,
    );
  }
  if (e.lte(0)) {
    throw new DomainError(
      "LEADER_EQUITY_NOT_POSITIVE",
      `proportional sizing needs positive leader equity, got ${e.toFixed()}`,
    );
  }
  return a.div(e);
}

/**
 * r = notional / (|fill qty| × price × multiplier), taken when the leader opens from flat
 * (or from the open part of a flip, see splitFlip).
 */
export function fixedNotionalRatio(
  notional: Decimal.Value,
  fillQty: Decimal.Value,
  price: Decimal.Value,
  multiplier: Decimal.Value,
): Decimal {
  const n = D(notional);
  if (n.isNeg() && !n.isZero()) {
    throw new DomainError("INVALID_NOTIONAL", `notional must not be negative, got ${n.toFixed()}`);
  }
  const denom = D(fillQty).abs().times(price).times(multiplier);
  if (denom.lte(0)) {
    throw new DomainError(
      "INVALID_OPEN_FILL",
      "fixed-notional sizing needs a non-zero fill quantity, a positive price and a positive multiplier",
    );
  }
  return n.div(denom);
}

/** target = quantize(r × leader position), toward zero; exactly 0 when the leader is flat. */
export function targetPosition(input: {
  ratio: Decimal.Value;
  leaderPosition: Decimal.Value;
  qtyStep: Decimal.Value;
}): Decimal {
  const r = D(input.ratio);
  if (r.isNeg() && !r.isZero()) {
    throw new DomainError("INVALID_RATIO", `ratio must not be negative, got ${r.toFixed()}`);
  }
  const leader = D(input.leaderPosition);
  if (leader.isZero()) {
    // validate the step even when it is not needed, so a bad instrument fails early
    quantizeTowardZero(0, input.qtyStep);
    return ZERO;
  }
  const raw = r.times(leader).toSignificantDigits(TARGET_GUARD_DIGITS);
  return quantizeTowardZero(raw, input.qtyStep);
}

/** The order still needed: target − (position + quantity already on its way). All signed. */
export function orderDelta(input: {
  target: Decimal.Value;
  position: Decimal.Value;
  openOrderQty: Decimal.Value;
}): Decimal {
  const d = D(input.target).minus(input.position).minus(input.openOrderQty);
  return d.isZero() ? ZERO : d;
}

/**
 * Splits a signed change of a signed position into the part that moves it toward zero
 * (never past it) and the part that opens or grows a position beyond zero.
 * reduce + increase = delta always.
 */
export function splitReduceIncrease(
  position: Decimal.Value,
  delta: Decimal.Value,
): { reduce: Decimal; increase: Decimal } {
  const p = D(position);
  const d = D(delta);
  if (sign(p) === 0 || sign(d) === 0 || sign(p) === sign(d)) {
    return { reduce: ZERO, increase: d.isZero() ? ZERO : d };
  }
  if (d.abs().lte(p.abs())) return { reduce: d, increase: ZERO };
  const reduce = p.neg();
  return { reduce, increase: d.minus(reduce) };
}

/**
 * For fixed-notional sizing: a leader fill seen as a close of the previous position and an
 * open of the remainder. `opensFromFlat` says the open part starts from a flat position
 * (from flat, or the far side of a flip) — exactly when a new ratio must be taken from
 * `openQty`. A fill that only grows an existing position has openQty ≠ 0 but
 * opensFromFlat = false: the ratio stays.
 */
export function splitFlip(
  prevLeaderPos: Decimal.Value,
  fillSignedQty: Decimal.Value,
): { closeQty: Decimal; openQty: Decimal; opensFromFlat: boolean } {
  const { reduce, increase } = splitReduceIncrease(prevLeaderPos, fillSignedQty);
  const after = D(prevLeaderPos).plus(reduce);
  return {
    closeQty: reduce,
    openQty: increase,
    opensFromFlat: !increase.isZero() && after.isZero(),
  };
}
