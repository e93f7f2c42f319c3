import { Decimal as DecimalJs } from "decimal.js";

/**
 * A private clone rather than `DecimalJs.set(...)`: the global constructor is shared with
 * every other importer of decimal.js, so configuring it would make our results depend on
 * import order. Always build values through `D()` — an instance made by the base
 * constructor would do its arithmetic at the base precision (20 digits).
 */
export const Decimal = DecimalJs.clone({
  precision: 50,
  rounding: DecimalJs.ROUND_HALF_EVEN,
  toExpNeg: -100,
  toExpPos: 100,
});
export type Decimal = DecimalJs;
// Lets callers write `Decimal.Value` as with the library's own export.
// eslint-disable-next-line @typescript-eslint/no-namespace
export declare namespace Decimal {
  type Value = DecimalJs.Value;
  type Rounding = DecimalJs.Rounding;
}

/** An error a caller can act on: `code` is stable and machine-readable. */
export class DomainError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = "DomainError";
    this.code = code;
  }
}

/**
 * Decimal instances are immutable (every operation returns a new one), so one of ours is
 * returned as it is rather than copied, and the spellings seen most often (an instrument's
 * step, a quote, "0") are parsed once: the planner and the bookkeeping core call `D` on the
 * same inputs for every follower of a fan-out, and construction and parsing were half of
 * their time (ADR 0041). Only instances of our clone are shared: one made by the base
 * constructor (20-digit precision) is still rebuilt as ours.
 */
const parsed = new Map<string, Decimal>();
const PARSED_MAX = 4096;
export function D(x: Decimal.Value): Decimal {
  if (typeof x === "object" && x.constructor === Decimal) return x;
  if (typeof x !== "string") return new Decimal(x);
  let d = parsed.get(x);
  if (d === undefined) {
    d = new Decimal(x);
    // Bounded: a stream of unique values (cash of 10 000 accounts) must not grow it forever.
    if (parsed.size >= PARSED_MAX) parsed.clear();
    parsed.set(x, d);
  }
  return d;
}

export const ZERO: Decimal = D(0);

const DECIMAL_STRING = /^-?\d+(\.\d+)?$/;

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "bigint") return `${value}n`;
  if (value === undefined) return "undefined";
  if (typeof value === "object" && value !== null) return Object.prototype.toString.call(value);
  return String(value);
}

/**
 * Boundary parser. JS numbers are refused on purpose: by the time money is a number it
 * may already have been rounded in binary, and accepting it here would hide that.
 */
export function parseDecimal(value: unknown, field: string): Decimal {
  if (DecimalJs.isDecimal(value)) {
    const d = D(value as Decimal);
    if (d.isFinite()) return d;
  } else if (typeof value === "string" && DECIMAL_STRING.test(value)) {
    return D(value);
  }
  throw new DomainError(
    "INVALID_DECIMAL",
    `${field} must be a decimal string such as "12.34", got ${describe(value)}`,
  );
}

/** Canonical text: one spelling per value, so strings can be compared and stored as-is. */
export function fmt(d: Decimal.Value): string {
  const x = D(d);
  if (!x.isFinite()) throw new DomainError("INVALID_DECIMAL", `cannot format ${x.toString()}`);
  if (x.isZero()) return "0";
  return x.toFixed();
}

/** A step or tick, checked: positive and finite, else INVALID_STEP naming `what`. */
export function positiveStep(step: Decimal.Value, what: string): Decimal {
  const s = D(step);
  if (!s.isFinite() || s.lte(0)) {
    throw new DomainError(
      "INVALID_STEP",
      `${what} must be positive, got ${describe(String(step))}`,
    );
  }
  return s;
}

/** -0 would print as "0" but still compare as negative in `isNeg()`; normalise it away. */
function noNegZero(x: Decimal): Decimal {
  return x.isZero() ? ZERO : x;
}

/**
 * Truncated quotient and remainder. `divToInt` produces the integer digits exactly, so
 * this never suffers from a 50-digit rounding of x/step landing on the wrong side of a
 * multiple (which `div(...).floor()` can).
 */
function divmod(x: Decimal, step: Decimal): { q: Decimal; r: Decimal } {
  const q = x.divToInt(step);
  return { q, r: x.minus(q.times(step)) };
}

/**
 * The decimal places of a step that is 1 or a negative power of ten (0.1, 0.01 …), else
 * null. Such a step — the common case — is quantized by cutting digits, which gives exactly
 * what the division does at a fraction of its cost (the planner quantizes and checks the
 * step for every follower; the property test in money.test.ts holds them equal).
 */
const placesOfStep = new WeakMap<Decimal, number | null>();
function powerOfTenPlaces(s: Decimal): number | null {
  let dp = placesOfStep.get(s);
  if (dp === undefined) {
    const text = s.toFixed();
    dp = /^(1|0\.0*1)$/.test(text) ? s.decimalPlaces() : null;
    placesOfStep.set(s, dp);
  }
  return dp;
}

export function quantizeTowardZero(qty: Decimal.Value, step: Decimal.Value): Decimal {
  const s = positiveStep(step, "quantity step");
  const dp = powerOfTenPlaces(s);
  if (dp !== null) return noNegZero(D(qty).toDecimalPlaces(dp, Decimal.ROUND_DOWN));
  const { q } = divmod(D(qty), s);
  return noNegZero(q.times(s));
}

/**
 * "down" and "up" are toward −∞ and +∞ (a lower/higher price), not toward zero.
 * "nearest" breaks ties to the even multiple, matching the library-wide HALF_EVEN.
 */
export function roundToTick(
  price: Decimal.Value,
  tick: Decimal.Value,
  mode: "down" | "up" | "nearest",
): Decimal {
  const t = positiveStep(tick, "tick size");
  const p = D(price);
  const { q: q0, r } = divmod(p, t);
  let q = q0;
  if (mode === "down") {
    if (r.isNeg() && !r.isZero()) q = q.minus(1);
  } else if (mode === "up") {
    if (r.isPos() && !r.isZero()) q = q.plus(1);
  } else {
    const twice = r.abs().times(2);
    const away = r.isNeg() ? q.minus(1) : q.plus(1);
    if (twice.gt(t)) q = away;
    else if (twice.eq(t) && !q.mod(2).isZero()) q = away;
  }
  return noNegZero(q.times(t));
}

export function isOnStep(qty: Decimal.Value, step: Decimal.Value): boolean {
  const s = positiveStep(step, "quantity step");
  const dp = powerOfTenPlaces(s);
  if (dp !== null) return D(qty).decimalPlaces() <= dp;
  return divmod(D(qty), s).r.isZero();
}

/** Sign of a decimal as -1, 0 or 1 (zero of either sign is 0). */
export function sign(x: Decimal.Value): -1 | 0 | 1 {
  const d = D(x);
  if (d.isZero()) return 0;
  return d.isNeg() ? -1 : 1;
}

export function minDec(a: Decimal.Value, b: Decimal.Value): Decimal {
  const x = D(a);
  const y = D(b);
  return x.lte(y) ? x : y;
}

export function maxDec(a: Decimal.Value, b: Decimal.Value): Decimal {
  const x = D(a);
  const y = D(b);
  return x.gte(y) ? x : y;
}
