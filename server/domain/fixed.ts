import { D, DomainError, type Decimal } from "./money";

/*
 * Exact decimals as scaled integers, for the loops that value thousands of copies per
 * quote (ADR 0045, session 4). `{ n, s }` is the number n / 10^s, exactly: sums, differences
 * and products never round, so a result is the same number decimal.js gives at its 50
 * digits for the sizes money has here (checked by fixed.test.ts and valuation.test.ts on
 * random inputs). Division is not offered: what needs it (ratios, fees) stays on decimal.js.
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
 * Parses a decimal (a numeric string as the database returns it, a Decimal, or an integer
 * number) exactly. Anything else that decimal.js accepts goes through it once; what it
 * refuses is an error, as `D()` would throw.
 */
export function fx(x: Decimal.Value): Fixed {
  if (typeof x === "string" && PLAIN.test(x)) {
    const dot = x.indexOf(".");
    if (dot < 0) return { n: BigInt(x), s: 0 };
    return { n: BigInt(x.slice(0, dot) + x.slice(dot + 1)), s: x.length - dot - 1 };
  }
  if (typeof x === "number" && Number.isSafeInteger(x)) return { n: BigInt(x), s: 0 };
  const d = D(x);
  if (!d.isFinite()) throw new DomainError("INVALID_DECIMAL", `cannot value ${d.toString()}`);
  return fx(d.toFixed());
}

function align(a: Fixed, b: Fixed): [bigint, bigint, number] {
  if (a.s === b.s) return [a.n, b.n, a.s];
  if (a.s > b.s) return [a.n, b.n * ten(a.s - b.s), a.s];
  return [a.n * ten(b.s - a.s), b.n, b.s];
}

export function fxAdd(a: Fixed, b: Fixed): Fixed {
  if (b.n === 0n) return a;
  if (a.n === 0n) return b;
  const [x, y, s] = align(a, b);
  return { n: x + y, s };
}

export function fxSub(a: Fixed, b: Fixed): Fixed {
  const [x, y, s] = align(a, b);
  return { n: x - y, s };
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
  const [x, y] = align(a, b);
  return x === y ? 0 : x < y ? -1 : 1;
}

/** Canonical text, the same spelling as money.ts's `fmt`: no trailing zeros, "0" for zero. */
export function fxText(a: Fixed): string {
  if (a.n === 0n) return "0";
  let n = a.n;
  let s = a.s;
  while (s > 0 && n % 10n === 0n) {
    n /= 10n;
    s--;
  }
  const neg = n < 0n;
  let digits = (neg ? -n : n).toString();
  if (s > 0) {
    if (digits.length <= s) digits = "0".repeat(s - digits.length + 1) + digits;
    digits = `${digits.slice(0, digits.length - s)}.${digits.slice(digits.length - s)}`;
  }
  return neg ? `-${digits}` : digits;
}

export function fxDecimal(a: Fixed): Decimal {
  return D(fxText(a));
}
