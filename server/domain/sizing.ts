import {
  FX_ZERO,
  fx,
  fxAbs,
  fxCmp,
  fxDecimal,
  fxMinus,
  fxNeg,
  fxPlus,
  fxQuantize,
  fxRoundSig,
  fxSign,
  fxText,
  fxTimes,
  isFixed,
  toFx,
  type Fixed,
  type Num,
} from "./fixed";
import { D, Decimal, DomainError, positiveStep } from "./money";

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
  return fxDecimal(fxTargetPosition(input.ratio, input.leaderPosition, input.qtyStep));
}

/** A quantity step as Fixed, refused as money.ts refuses it (INVALID_STEP). */
export function qtyStepOf(step: Num): Fixed {
  if (!isFixed(step)) return fx(positiveStep(step, "quantity step"));
  if (step.n <= 0n) positiveStep(fxText(step), "quantity step");
  return step;
}

/**
 * The rule behind `targetPosition`, on exact scaled integers: r × leader as decimal.js
 * rounds it (50 digits), then to TARGET_GUARD_DIGITS, then cut toward zero to the step.
 */
export function fxTargetPosition(ratio: Num, leaderPosition: Num, qtyStep: Num): Fixed {
  const r = toFx(ratio);
  if (r.n < 0n) {
    throw new DomainError("INVALID_RATIO", `ratio must not be negative, got ${fxText(r)}`);
  }
  const leader = toFx(leaderPosition);
  // the step is validated even when it is not needed, so a bad instrument fails early
  const step = qtyStepOf(qtyStep);
  if (leader.n === 0n) return FX_ZERO;
  return fxQuantize(fxRoundSig(fxTimes(r, leader), TARGET_GUARD_DIGITS), step);
}

/** The order still needed: target − (position + quantity already on its way). All signed. */
export function orderDelta(input: {
  target: Decimal.Value;
  position: Decimal.Value;
  openOrderQty: Decimal.Value;
}): Decimal {
  return fxDecimal(fxOrderDelta(input.target, input.position, input.openOrderQty));
}

export function fxOrderDelta(target: Num, position: Num, openOrderQty: Num): Fixed {
  return fxMinus(fxMinus(toFx(target), toFx(position)), toFx(openOrderQty));
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
  const { reduce, increase } = fxSplitReduceIncrease(toFx(position), toFx(delta));
  return { reduce: fxDecimal(reduce), increase: fxDecimal(increase) };
}

export function fxSplitReduceIncrease(p: Fixed, d: Fixed): { reduce: Fixed; increase: Fixed } {
  const sp = fxSign(p);
  const sd = fxSign(d);
  if (sp === 0 || sd === 0 || sp === sd) return { reduce: FX_ZERO, increase: d };
  if (fxCmp(fxAbs(d), fxAbs(p)) <= 0) return { reduce: d, increase: FX_ZERO };
  const reduce = fxNeg(p);
  return { reduce, increase: fxMinus(d, reduce) };
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
  const f = fxSplitFlip(toFx(prevLeaderPos), toFx(fillSignedQty));
  return {
    closeQty: fxDecimal(f.closeQty),
    openQty: fxDecimal(f.openQty),
    opensFromFlat: f.opensFromFlat,
  };
}

export function fxSplitFlip(
  prevLeaderPos: Fixed,
  fillSignedQty: Fixed,
): { closeQty: Fixed; openQty: Fixed; opensFromFlat: boolean } {
  const { reduce, increase } = fxSplitReduceIncrease(prevLeaderPos, fillSignedQty);
  const after = fxPlus(prevLeaderPos, reduce);
  return {
    closeQty: reduce,
    openQty: increase,
    opensFromFlat: increase.n !== 0n && after.n === 0n,
  };
}
