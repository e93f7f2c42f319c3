import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { D, DomainError, fmt, isOnStep, sign } from "./money";
import {
  fixedNotionalRatio,
  orderDelta,
  proportionalRatio,
  splitFlip,
  splitReduceIncrease,
  targetPosition,
} from "./sizing";
import { multipleOf, positiveDecimal, qtyStep } from "./test-support";

describe("proportionalRatio", () => {
  it("is allocation over leader equity (replay-format example)", () => {
    expect(fmt(proportionalRatio("10000", "100000"))).toBe("0.1");
  });

  it("refuses non-positive leader equity and negative allocation", () => {
    expect(() => proportionalRatio("10000", "0")).toThrow(DomainError);
    expect(() => proportionalRatio("10000", "-5")).toThrow(/positive leader equity/);
    expect(() => proportionalRatio("-1", "100")).toThrow(DomainError);
    expect(fmt(proportionalRatio("0", "100"))).toBe("0");
  });
});

describe("fixedNotionalRatio", () => {
  it("is notional over the opening fill's notional", () => {
    // 5000 / (10 × 250 × 1) = 2
    expect(fmt(fixedNotionalRatio("5000", "10", "250", "1"))).toBe("2");
    // a short open uses |qty|; futures multiplier 50: 10000 / (2 × 4000 × 50) = 0.025
    expect(fmt(fixedNotionalRatio("10000", "-2", "4000", "50"))).toBe("0.025");
  });

  it("refuses a zero fill, a non-positive price or multiplier", () => {
    expect(() => fixedNotionalRatio("1000", "0", "10", "1")).toThrow(DomainError);
    expect(() => fixedNotionalRatio("1000", "1", "0", "1")).toThrow(DomainError);
    expect(() => fixedNotionalRatio("1000", "1", "10", "0")).toThrow(DomainError);
  });
});

describe("targetPosition", () => {
  it("quantizes r × leader position toward zero", () => {
    expect(fmt(targetPosition({ ratio: "0.1", leaderPosition: "30", qtyStep: "1" }))).toBe("3");
    expect(fmt(targetPosition({ ratio: "0.1", leaderPosition: "35", qtyStep: "1" }))).toBe("3");
    expect(fmt(targetPosition({ ratio: "0.1", leaderPosition: "-35", qtyStep: "1" }))).toBe("-3");
    expect(fmt(targetPosition({ ratio: "0.1", leaderPosition: "9", qtyStep: "1" }))).toBe("0");
    expect(fmt(targetPosition({ ratio: "0.37", leaderPosition: "12.5", qtyStep: "0.01" }))).toBe(
      "4.62",
    );
  });

  it("hits the exact step when the ratio is a repeating decimal", () => {
    // 10000 / 30000 × 3 is exactly 1; a truncated 0.333… would give 0.
    const r = proportionalRatio("10000", "30000");
    expect(fmt(targetPosition({ ratio: r, leaderPosition: "3", qtyStep: "1" }))).toBe("1");
    expect(fmt(targetPosition({ ratio: r, leaderPosition: "-300", qtyStep: "1" }))).toBe("-100");
    const r7 = fixedNotionalRatio("1000", "7", "100", "1"); // 10/7
    expect(fmt(targetPosition({ ratio: r7, leaderPosition: "7", qtyStep: "1" }))).toBe("10");
    expect(fmt(targetPosition({ ratio: r7, leaderPosition: "6", qtyStep: "1" }))).toBe("8");
  });

  it("is exactly zero, not -0, for a flat leader or a tiny short", () => {
    const flat = targetPosition({ ratio: "0.5", leaderPosition: "0", qtyStep: "1" });
    expect(flat.isZero() && !flat.isNeg()).toBe(true);
    const tiny = targetPosition({ ratio: "0.1", leaderPosition: "-5", qtyStep: "1" });
    expect(tiny.isZero() && !tiny.isNeg()).toBe(true);
  });

  it("rejects a negative ratio and a bad step", () => {
    expect(() => targetPosition({ ratio: "-1", leaderPosition: "1", qtyStep: "1" })).toThrow(
      DomainError,
    );
    expect(() => targetPosition({ ratio: "1", leaderPosition: "0", qtyStep: "0" })).toThrow(
      DomainError,
    );
  });

  it("is on step, toward zero, within one step of r × leader, same sign (property)", () => {
    fc.assert(
      fc.property(
        positiveDecimal(10, 6),
        multipleOf("0.001", 5_000_000),
        qtyStep,
        (ratio, lp, step) => {
          const t = targetPosition({ ratio, leaderPosition: lp, qtyStep: step });
          const exact = D(ratio).times(lp);
          expect(isOnStep(t, step)).toBe(true);
          expect(t.abs().lte(exact.abs())).toBe(true);
          expect(exact.abs().minus(t.abs()).lt(step)).toBe(true);
          expect(sign(t) === 0 || sign(t) === sign(lp)).toBe(true);
        },
      ),
    );
  });

  it("is odd: target(−x) = −target(x) (property)", () => {
    fc.assert(
      fc.property(positiveDecimal(10, 6), multipleOf("0.01", 1_000_000), qtyStep, (r, lp, s) => {
        const a = targetPosition({ ratio: r, leaderPosition: lp, qtyStep: s });
        const b = targetPosition({ ratio: r, leaderPosition: D(lp).neg(), qtyStep: s });
        expect(a.plus(b).isZero()).toBe(true);
      }),
    );
  });

  it("recovers an integer target from a ratio p/q for leader multiples of q (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: -500, max: 500 }),
        (p, q, k) => {
          const r = proportionalRatio(String(p), String(q));
          const t = targetPosition({ ratio: r, leaderPosition: String(q * k), qtyStep: "1" });
          expect(fmt(t)).toBe(String(p * k === 0 ? 0 : p * k));
        },
      ),
    );
  });
});

describe("orderDelta", () => {
  it("is target minus position minus what is already on its way", () => {
    expect(fmt(orderDelta({ target: "3", position: "0", openOrderQty: "0" }))).toBe("3");
    expect(fmt(orderDelta({ target: "3", position: "1", openOrderQty: "1" }))).toBe("1");
    expect(fmt(orderDelta({ target: "-2", position: "3", openOrderQty: "0" }))).toBe("-5");
    expect(fmt(orderDelta({ target: "0", position: "2", openOrderQty: "-2" }))).toBe("0");
  });

  it("repairs any starting state in one order (property)", () => {
    fc.assert(
      fc.property(
        multipleOf("1", 1000),
        multipleOf("1", 1000),
        multipleOf("1", 1000),
        (t, p, o) => {
          const d = orderDelta({ target: t, position: p, openOrderQty: o });
          expect(D(p).plus(o).plus(d).eq(t)).toBe(true);
        },
      ),
    );
  });
});

describe("splitReduceIncrease", () => {
  it.each([
    ["5", "-8", "-5", "-3"],
    ["5", "-3", "-3", "0"],
    ["5", "-5", "-5", "0"],
    ["5", "2", "0", "2"],
    ["0", "-4", "0", "-4"],
    ["-2", "7", "2", "5"],
    ["-2", "0", "0", "0"],
  ])("position %s, delta %s -> reduce %s, increase %s", (p, d, r, i) => {
    const out = splitReduceIncrease(p, d);
    expect(fmt(out.reduce)).toBe(r);
    expect(fmt(out.increase)).toBe(i);
  });

  it("adds up, never reduces past zero, signs follow delta (property)", () => {
    fc.assert(
      fc.property(multipleOf("0.5", 2000), multipleOf("0.5", 2000), (p, d) => {
        const { reduce, increase } = splitReduceIncrease(p, d);
        expect(reduce.plus(increase).eq(d)).toBe(true);
        expect(reduce.abs().lte(D(p).abs())).toBe(true);
        expect(sign(reduce) === 0 || sign(reduce) === sign(d)).toBe(true);
        expect(sign(increase) === 0 || sign(increase) === sign(d)).toBe(true);
        // |position| never grows through the reduce part, and only the increase part grows it
        expect(D(p).plus(reduce).abs().lte(D(p).abs())).toBe(true);
        expect(D(p).plus(d).abs().eq(D(p).plus(reduce).abs().plus(increase.abs()))).toBe(true);
      }),
    );
  });
});

describe("splitFlip", () => {
  it("treats a long-to-short fill as a close then an open from flat", () => {
    const s = splitFlip("10", "-15");
    expect([fmt(s.closeQty), fmt(s.openQty), s.opensFromFlat]).toEqual(["-10", "-5", true]);
  });

  it("opens from flat when the leader was flat", () => {
    const s = splitFlip("0", "4");
    expect([fmt(s.closeQty), fmt(s.openQty), s.opensFromFlat]).toEqual(["0", "4", true]);
  });

  it("does not re-open on an increase or a partial / exact close", () => {
    expect(splitFlip("10", "5").opensFromFlat).toBe(false);
    const close = splitFlip("10", "-10");
    expect([fmt(close.closeQty), fmt(close.openQty), close.opensFromFlat]).toEqual([
      "-10",
      "0",
      false,
    ]);
    expect(splitFlip("-3", "1").opensFromFlat).toBe(false);
  });

  it("close + open = fill, and the leader ends at the open part after a flip (property)", () => {
    fc.assert(
      fc.property(multipleOf("1", 100), multipleOf("1", 100), (prev, fill) => {
        const s = splitFlip(prev, fill);
        expect(s.closeQty.plus(s.openQty).eq(fill)).toBe(true);
        if (s.opensFromFlat) expect(D(prev).plus(fill).eq(s.openQty)).toBe(true);
      }),
    );
  });
});

describe("targetPosition: the numbers are decimal.js's", () => {
  // Ratios as allocation / equity leaves them (50 digits), leader positions with up to 8
  // places; the expected target is computed here with decimal.js alone.
  it("rounds r × leader to 30 digits, then cuts toward zero to the step", () => {
    const amount = fc.bigInt({ min: 1n, max: 10n ** 14n }).map((n) => D(n.toString()).div(100));
    fc.assert(
      fc.property(
        amount,
        amount,
        fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }),
        fc.constantFrom("1", "0.01", "0.00000001", "0.5", "0.25", "5", "0.003"),
        (allocation, equity, leaderUnits, step) => {
          const ratio = allocation.div(equity).toFixed();
          const leader = D(leaderUnits.toString())
            .div(10 ** 8)
            .toFixed();
          const raw = D(ratio).times(leader).toSignificantDigits(30);
          const expected = raw.divToInt(step).times(step);
          expect(fmt(targetPosition({ ratio, leaderPosition: leader, qtyStep: step }))).toBe(
            fmt(expected),
          );
        },
      ),
      { numRuns: 3000, seed: 20261202 },
    );
  });
});
