import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { D, fmt, isOnStep, quantizeTowardZero } from "./money";
import {
  fx,
  fxAdd,
  fxCmp,
  fxDiv,
  fxHalf,
  fxMinus,
  fxMul,
  fxOnStep,
  fxPlus,
  fxQuantize,
  fxRound,
  fxRoundSig,
  fxSign,
  fxSub,
  fxText,
  fxTimes,
} from "./fixed";

/** Decimal text of every shape the database and the engine write: signs, 0–12 decimals, zeros. */
const decimalText = fc
  .tuple(
    fc.boolean(),
    fc.bigInt({ min: 0n, max: 10n ** 15n }),
    fc.integer({ min: 0, max: 12 }),
    fc.integer({ min: 0, max: 3 }),
  )
  .map(([neg, digits, scale, trailingZeros]) => {
    let s = digits.toString().padStart(scale + 1, "0");
    if (scale > 0) s = `${s.slice(0, s.length - scale)}.${s.slice(s.length - scale)}`;
    if (trailingZeros && scale > 0) s += "0".repeat(trailingZeros);
    return neg ? `-${s}` : s;
  });

describe("fixed: exact scaled integers agree with decimal.js", () => {
  it("parses and prints every value as money.ts's fmt does", () => {
    fc.assert(
      fc.property(decimalText, (a) => {
        expect(fxText(fx(a))).toBe(fmt(a));
      }),
      { numRuns: 500 },
    );
  });

  it("adds, subtracts, multiplies, halves and compares as decimal.js does", () => {
    fc.assert(
      fc.property(decimalText, decimalText, (a, b) => {
        const x = fx(a);
        const y = fx(b);
        expect(fxText(fxAdd(x, y))).toBe(fmt(D(a).plus(b)));
        expect(fxText(fxSub(x, y))).toBe(fmt(D(a).minus(b)));
        expect(fxText(fxMul(x, y))).toBe(fmt(D(a).times(b)));
        expect(fxText(fxHalf(x))).toBe(fmt(D(a).div(2)));
        expect(fxCmp(x, y)).toBe(D(a).comparedTo(b));
        expect(fxSign(x)).toBe(D(a).isZero() ? 0 : D(a).isNeg() ? -1 : 1);
      }),
      { numRuns: 500 },
    );
  });

  it("takes Decimals and whole numbers; refuses what decimal.js refuses", () => {
    expect(fxText(fx(D("1.2300")))).toBe("1.23");
    expect(fxText(fx(D("1e-9")))).toBe("0.000000001");
    expect(fxText(fx(7))).toBe("7");
    expect(fxText(fx("-0"))).toBe("0");
    expect(() => fx("abc")).toThrow();
    expect(() => fx(D(Infinity))).toThrow(/cannot value/);
  });
});

/** Long decimals (up to 62 digits, up to 40 places) so that 50-digit rounding happens. */
const longText = fc
  .tuple(fc.boolean(), fc.bigInt({ min: 0n, max: 10n ** 62n }), fc.integer({ min: 0, max: 40 }))
  .map(([neg, digits, scale]) => {
    let s = digits.toString().padStart(scale + 1, "0");
    if (scale > 0) s = `${s.slice(0, s.length - scale)}.${s.slice(s.length - scale)}`;
    return neg ? `-${s}` : s;
  });

/** Exactly halfway between two 30- or 50-digit values (and a hair off it): the even rule decides. */
const tieText = fc
  .tuple(
    fc.bigInt({ min: 10n ** 29n, max: 10n ** 30n - 1n }),
    fc.constantFrom(30, 50),
    fc.constantFrom("5", "50", "5000", "49", "51", "5000001"),
    fc.integer({ min: 0, max: 45 }),
    fc.boolean(),
  )
  .map(([head, digits, tail, scale, neg]) => {
    const more = digits === 50 ? "1".repeat(19) + "2" : "";
    let s = `${head}${more}${tail}`;
    if (scale > 0 && scale < s.length)
      s = `${s.slice(0, s.length - scale)}.${s.slice(s.length - scale)}`;
    return neg ? `-${s}` : s;
  });

const qtySteps = fc.constantFrom(
  "1",
  "0.1",
  "0.01",
  "0.00000001",
  "0.5",
  "0.25",
  "5",
  "10",
  "0.003",
);

describe("fixed: the planner's arithmetic rounds as decimal.js does at 50 digits", () => {
  it("sums, differences and products of long values", () => {
    fc.assert(
      fc.property(fc.oneof(longText, tieText), fc.oneof(longText, decimalText), (a, b) => {
        const x = fx(a);
        const y = fx(b);
        expect(fxText(fxPlus(x, y))).toBe(fmt(D(a).plus(b)));
        expect(fxText(fxMinus(x, y))).toBe(fmt(D(a).minus(b)));
        expect(fxText(fxTimes(x, y))).toBe(fmt(D(a).times(b)));
        expect(fxText(fxRound(x))).toBe(fmt(D(a).toSignificantDigits(50)));
      }),
      { numRuns: 2000, seed: 20261202 },
    );
  });

  it("rounds to 30 significant digits half to even, as toSignificantDigits", () => {
    fc.assert(
      fc.property(fc.oneof(tieText, longText), (a) => {
        expect(fxText(fxRoundSig(fx(a), 30))).toBe(fmt(D(a).toSignificantDigits(30)));
      }),
      { numRuns: 2000, seed: 20261202 },
    );
    // the even neighbour, both ways, and away from zero past the half
    expect(fxText(fxRoundSig(fx("0.125"), 2))).toBe("0.12");
    expect(fxText(fxRoundSig(fx("-0.135"), 2))).toBe("-0.14");
    expect(fxText(fxRoundSig(fx("12.51"), 2))).toBe("13");
  });

  it("quantizes toward zero and checks the step as money.ts does", () => {
    fc.assert(
      fc.property(fc.oneof(longText, decimalText, tieText), qtySteps, (a, step) => {
        expect(fxText(fxQuantize(fx(a), fx(step)))).toBe(fmt(quantizeTowardZero(a, step)));
        expect(fxOnStep(fx(a), fx(step))).toBe(isOnStep(a, step));
      }),
      { numRuns: 2000, seed: 20261202 },
    );
  });

  it("divides as decimal.js does: exactly where the divisor divides, rounded at 50 digits elsewhere", () => {
    const nonZero = (t: string) => !D(t).isZero();
    fc.assert(
      fc.property(
        fc.oneof(longText, decimalText, tieText),
        fc.oneof(decimalText, longText).filter(nonZero),
        fc.integer({ min: 1, max: 10_000 }),
        (a, b, k) => {
          expect(fxText(fxDiv(fx(a), fx(b)))).toBe(fmt(D(a).div(b)));
          // The booking's case: a cost of k units at one price, averaged over the k units.
          const cost = fxTimes(fx(b), fx(String(k)));
          expect(fxText(fxDiv(cost, fx(String(k))))).toBe(fmt(D(b).times(k).div(k)));
        },
      ),
      { numRuns: 2000, seed: 20261203 },
    );
    expect(() => fxDiv(fx("1"), fx("0.000"))).toThrow(/division by zero/);
  });
});
