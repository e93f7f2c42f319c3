import fc from "fast-check";
import { D, fmt } from "./money";

// Shared fast-check arbitraries for the domain tests; imported only by *.test.ts files.

/** Decimal strings with 8 fractional digits and an integer part in [min, max]. */
export const decimalString = (opts: { min?: number; max?: number } = {}) =>
  fc
    .tuple(
      fc.integer({ min: opts.min ?? -1_000_000, max: opts.max ?? 1_000_000 }),
      fc.integer({ min: 0, max: 99_999_999 }),
    )
    .map(([i, f]) => {
      const frac = f.toString().padStart(8, "0");
      const neg = i < 0 || (i === 0 && opts.min !== undefined && opts.min < 0 && f % 2 === 1);
      return `${neg ? "-" : ""}${Math.abs(i)}.${frac}`;
    });

/** A positive decimal string in (0, maxInt] with up to `dp` decimals. */
export const positiveDecimal = (maxInt: number, dp = 2) =>
  fc.integer({ min: 1, max: maxInt * 10 ** dp }).map((n) => fmt(D(n).div(D(10).pow(dp))));

export const qtyStep = fc.constantFrom("1", "0.1", "0.01", "0.001", "5", "0.25");

/** A signed (or non-negative) whole number of steps, as a canonical string. */
export const multipleOf = (step: string, maxUnits: number, signed = true) =>
  fc.integer({ min: signed ? -maxUnits : 0, max: maxUnits }).map((n) => fmt(D(step).times(n)));
