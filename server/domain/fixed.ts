import { D, DomainError, type Decimal } from "./money";

/*
 * Exact decimals as scaled integers, for the loops that value thousands of copies per
 * quote (ADR 0045, session 4). `{ n, s }` is the number n / 10^s, exactly: sums, differences
 * and products never round, so a result is the same number decimal.js gives at its 50
 * digits for the sizes money has here (checked by fixed.test.ts and valuation.test.ts on
 * random inputs). Division (`fxDiv`) is exact only where the divisor divides the dividend;
 * every other quotient is decimal.js's, so ratios and fees keep its rounding.
 *
 * Why not decimal.js itself: it allocates a digit array per value and per operation, and
 * the hot loops parse the same quote and multiplier again for every copy. A BigInt of a
 * short numeric string is one small allocation and its arithmetic is native.
 */

export type Fixed = { readonly n: bigint; readonly s: number };

const TENS: bigint[] = [1n];
function ten(k: number): bigint {
  for (let i = TENS.length; i <= k; i++) TENS.push(TENS[i - 1]! * 10n);
  return TENS[k]!;
}

export const FX_ZERO: Fixed = { n: 0n, s: 0 };

/** Plain decimal text as PostgreSQL's numeric and `fmt` write it: "-12.340", "7". */
const PLAIN = /^-?\d+(\.\d+)?$/;

/**
 * fx's exact path without decimal.js: plain decimal text or a safe integer, else null (the
 * caller validates the rest its own way, as risk inputs do with the field's name).
 */
export function fxIfPlain(x: unknown): Fixed | null {
  if (typeof x === "string" && PLAIN.test(x)) {
    const dot = x.indexOf(".");
    if (dot < 0) return { n: BigInt(x), s: 0 };
    return { n: BigInt(x.slice(0, dot) + x.slice(dot + 1)), s: x.length - dot - 1 };
  }
  if (typeof x === "number" && Number.isSafeInteger(x)) return { n: BigInt(x), s: 0 };
  return null;
}

/**
 * Parses a decimal (a numeric string as the database returns it, a Decimal, or an integer
 * number) exactly. Anything else that decimal.js accepts goes through it once; what it
 * refuses is an error, as `D()` would throw.
 */
export function fx(x: Decimal.Value): Fixed {
  const plain = fxIfPlain(x);
  if (plain !== null) return plain;
  const d = D(x);
  if (!d.isFinite()) throw new DomainError("INVALID_DECIMAL", `cannot value ${d.toString()}`);
  return fx(d.toFixed());
}

function align(a: Fixed, b: Fixed): [bigint, bigint, number] {
  if (a.s === b.s) return [a.n, b.n, a.s];
  if (a.s > b.s) return [a.n, b.n * ten(a.s - b.s), a.s];
  return [a.n * ten(b.s - a.s), b.n, b.s];
}

// Sums, differences and comparisons align without the tuple: they run per follower.
export function fxAdd(a: Fixed, b: Fixed): Fixed {
  if (b.n === 0n) return a;
  if (a.n === 0n) return b;
  if (a.s === b.s) return { n: a.n + b.n, s: a.s };
  if (a.s > b.s) return { n: a.n + b.n * ten(a.s - b.s), s: a.s };
  return { n: a.n * ten(b.s - a.s) + b.n, s: b.s };
}

export function fxSub(a: Fixed, b: Fixed): Fixed {
  if (b.n === 0n) return a;
  if (a.s === b.s) return { n: a.n - b.n, s: a.s };
  if (a.s > b.s) return { n: a.n - b.n * ten(a.s - b.s), s: a.s };
  return { n: a.n * ten(b.s - a.s) - b.n, s: b.s };
}

export function fxMul(a: Fixed, b: Fixed): Fixed {
  return { n: a.n * b.n, s: a.s + b.s };
}

/** Exact half (for the mid price): n / 2 = 5n / 10. */
export function fxHalf(a: Fixed): Fixed {
  return a.n % 2n === 0n ? { n: a.n / 2n, s: a.s } : { n: a.n * 5n, s: a.s + 1 };
}

export function fxSign(a: Fixed): -1 | 0 | 1 {
  return a.n === 0n ? 0 : a.n < 0n ? -1 : 1;
}

export function fxCmp(a: Fixed, b: Fixed): -1 | 0 | 1 {
  let x = a.n;
  let y = b.n;
  if (a.s > b.s) y *= ten(a.s - b.s);
  else if (a.s < b.s) x *= ten(b.s - a.s);
  return x === y ? 0 : x < y ? -1 : 1;
}

/** Canonical text, the same spelling as money.ts's `fmt`: no trailing zeros, "0" for zero. */
export function fxText(a: Fixed): string {
  if (a.n === 0n) return "0";
  const neg = a.n < 0n;
  // Trailing zeros cut from the text, not by BigInt division: this runs per follower.
  let digits = (neg ? -a.n : a.n).toString();
  let s = a.s;
  if (s > 0) {
    let end = digits.length;
    while (s > 0 && digits.charCodeAt(end - 1) === 48) {
      end--;
      s--;
    }
    if (end < digits.length) digits = digits.slice(0, end);
    if (s > 0) {
      if (digits.length <= s) digits = "0".repeat(s - digits.length + 1) + digits;
      digits = `${digits.slice(0, digits.length - s)}.${digits.slice(digits.length - s)}`;
    }
  }
  return neg ? `-${digits}` : digits;
}

export function fxDecimal(a: Fixed): Decimal {
  return D(fxText(a));
}

/*
 * The planner's arithmetic (sizing.ts, risk.ts, planner.ts) on Fixed, giving exactly what
 * decimal.js gives at our 50 digits: decimal.js rounds the exact result of every sum,
 * difference and product to 50 significant digits, half to even, so these do the same with
 * `fxRound`. Below 10^50 (every real quantity, price and amount) that is one comparison and
 * nothing rounds. fixed.test.ts holds them to decimal.js on random inputs.
 */
export const DECIMAL_DIGITS = 50;
const LIMIT = 10n ** BigInt(DECIMAL_DIGITS);

/** Rounds to `digits` significant digits, half to even (decimal.js's rounding here). */
export function fxRoundSig(a: Fixed, digits: number): Fixed {
  const abs = a.n < 0n ? -a.n : a.n;
  if (abs < ten(digits)) return a;
  const len = abs.toString().length;
  if (len <= digits) return a;
  const k = len - digits;
  const unit = ten(k);
  let q = abs / unit;
  const r2 = (abs % unit) * 2n;
  if (r2 > unit || (r2 === unit && q % 2n === 1n)) q += 1n;
  let s = a.s - k;
  if (s < 0) {
    q *= ten(-s);
    s = 0;
  }
  return { n: a.n < 0n ? -q : q, s };
}

/** A result as decimal.js at 50 digits would hold it. */
export function fxRound(a: Fixed): Fixed {
  return a.n < LIMIT && a.n > -LIMIT ? a : fxRoundSig(a, DECIMAL_DIGITS);
}

export const fxPlus = (a: Fixed, b: Fixed): Fixed => fxRound(fxAdd(a, b));
export const fxMinus = (a: Fixed, b: Fixed): Fixed => fxRound(fxSub(a, b));
export const fxTimes = (a: Fixed, b: Fixed): Fixed => fxRound(fxMul(a, b));

export const fxIsZero = (a: Fixed): boolean => a.n === 0n;
export const fxNeg = (a: Fixed): Fixed => (a.n === 0n ? a : { n: -a.n, s: a.s });
export const fxAbs = (a: Fixed): Fixed => (a.n < 0n ? { n: -a.n, s: a.s } : a);

/**
 * Truncates toward zero to a multiple of `step` (> 0), as money.ts's `quantizeTowardZero`:
 * a power-of-ten step cuts digits (exact); any other takes the integer quotient and
 * multiplies back, each rounded at 50 digits like decimal.js's `divToInt` and `times`.
 */
export function fxQuantize(a: Fixed, step: Fixed): Fixed {
  const [x, y, s] = align(a, step);
  const q = x / y;
  if (q === 0n) return FX_ZERO;
  const n = q * y;
  if ((n < LIMIT && n > -LIMIT) || isPowerOfTenUpToOne(step)) return { n, s };
  return fxRound({ n: fxRound({ n: q, s: 0 }).n * y, s });
}

function isPowerOfTenUpToOne(a: Fixed): boolean {
  if (a.n <= 0n || a.n > ten(a.s)) return false;
  let n = a.n;
  while (n % 10n === 0n) n /= 10n;
  return n === 1n;
}

/**
 * Whether `a` is a whole multiple of `step` (> 0), as money.ts's `isOnStep` says: exact below
 * 10^50; beyond, for a step that is not a power of ten, the quotient and product rounded at
 * 50 digits as decimal.js rounds them.
 */
export function fxOnStep(a: Fixed, step: Fixed): boolean {
  const [x, y] = align(a, step);
  if ((x < LIMIT && x > -LIMIT) || isPowerOfTenUpToOne(step)) return x % y === 0n;
  return fxMinus(a, fxTimes(fxRound({ n: x / y, s: 0 }), step)).n === 0n;
}

/** A value the planner takes: a Fixed already parsed (per batch), or any decimal input. */
export type Num = Decimal.Value | Fixed;

export function isFixed(v: unknown): v is Fixed {
  return typeof v === "object" && v !== null && typeof (v as Fixed).n === "bigint";
}

export function toFx(v: Num): Fixed {
  return isFixed(v) ? v : fx(v);
}

/**
 * a ÷ b exactly as decimal.js gives it at 50 digits. When b's digits divide a's, the quotient
 * is a finite decimal and decimal.js returns it exactly (rounded at 50 digits, as fxRound
 * does): the common case of an average of one price, price × q ÷ q, or of equal prices.
 * Any other quotient goes through decimal.js once. b must not be zero.
 */
export function fxDiv(a: Fixed, b: Fixed): Fixed {
  if (b.n === 0n) throw new DomainError("INVALID_DECIMAL", "division by zero");
  if (a.n % b.n === 0n) {
    const q = a.n / b.n;
    const s = a.s - b.s;
    return fxRound(s >= 0 ? { n: q, s } : { n: q * ten(-s), s: 0 });
  }
  return fx(D(fxText(a)).div(D(fxText(b))));
}
