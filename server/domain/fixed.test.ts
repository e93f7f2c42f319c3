import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { D, fmt } from "./money";
import { fx, fxAdd, fxCmp, fxHalf, fxMul, fxSign, fxSub, fxText } from "./fixed";

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
