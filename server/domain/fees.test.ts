import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { D, DomainError, fmt, maxDec } from "./money";
import { commission, performanceFee } from "./fees";

describe("commission", () => {
  it("charges per unit (replay-format example: 3 × 0.005 = 0.015)", () => {
    expect(fmt(commission({ qty: "3", perUnit: "0.005" }))).toBe("0.015");
    expect(fmt(commission({ qty: "-3", perUnit: "0.005" }))).toBe("0.015");
  });

  it("applies a minimum, but not to nothing", () => {
    expect(fmt(commission({ qty: "3", perUnit: "0.005", minimum: "1" }))).toBe("1");
    expect(fmt(commission({ qty: "300", perUnit: "0.005", minimum: "1" }))).toBe("1.5");
    expect(fmt(commission({ qty: "0", perUnit: "0.005", minimum: "1" }))).toBe("0");
  });

  it("adds basis points of the notional, with the multiplier", () => {
    // 10 × 190 × 1 × 5 bps = 0.95, plus 10 × 0.005
    expect(fmt(commission({ qty: "10", perUnit: "0.005", bps: "5", price: "190" }))).toBe("1");
    // 2 × 4000 × 50 × 1 bp = 40
    expect(
      fmt(commission({ qty: "2", perUnit: "0", bps: "1", price: "4000", multiplier: "50" })),
    ).toBe("40");
  });

  it("refuses negative rates and bps without a price", () => {
    expect(() => commission({ qty: "1", perUnit: "-0.01" })).toThrow(DomainError);
    expect(() => commission({ qty: "1", perUnit: "0", bps: "5" })).toThrow(/price/);
  });

  it("is at least the minimum and linear above it (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -10_000, max: 10_000 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.integer({ min: 0, max: 500 }),
        (q, perMil, minCents) => {
          const perUnit = D(perMil).div(1000);
          const minimum = D(minCents).div(100);
          const fee = commission({ qty: String(q), perUnit, minimum });
          if (q === 0) expect(fee.isZero()).toBe(true);
          else {
            expect(fee.gte(minimum)).toBe(true);
            expect(fee.eq(maxDec(perUnit.times(Math.abs(q)), minimum))).toBe(true);
          }
        },
      ),
    );
  });
});

describe("performanceFee", () => {
  it("charges the rate on gains above the mark and resets the mark net of the fee", () => {
    const r = performanceFee({
      equity: "12000",
      highWaterMark: "10000",
      netFlows: "0",
      ratePct: "20",
    });
    expect([fmt(r.fee), fmt(r.gain), fmt(r.newHighWaterMark)]).toEqual(["400", "2000", "11600"]);
  });

  it("does not charge on deposits", () => {
    const r = performanceFee({
      equity: "15000",
      highWaterMark: "10000",
      netFlows: "5000",
      ratePct: "20",
    });
    expect([fmt(r.fee), fmt(r.newHighWaterMark)]).toEqual(["0", "15000"]);
    // a withdrawal lowers the bar: 9000 after taking out 2000 from a 10000 mark is a 1000 gain
    const w = performanceFee({
      equity: "9000",
      highWaterMark: "10000",
      netFlows: "-2000",
      ratePct: "20",
    });
    expect(fmt(w.fee)).toBe("200");
  });

  it("charges nothing until a loss is recovered", () => {
    const down = performanceFee({
      equity: "8000",
      highWaterMark: "10000",
      netFlows: "0",
      ratePct: "20",
    });
    expect([fmt(down.fee), fmt(down.newHighWaterMark)]).toEqual(["0", "10000"]);
    const back = performanceFee({
      equity: "10500",
      highWaterMark: down.newHighWaterMark,
      netFlows: "0",
      ratePct: "20",
    });
    expect(fmt(back.fee)).toBe("100");
  });

  it("refuses a rate outside 0..100", () => {
    expect(() =>
      performanceFee({ equity: "1", highWaterMark: "1", netFlows: "0", ratePct: "101" }),
    ).toThrow(DomainError);
    expect(() =>
      performanceFee({ equity: "1", highWaterMark: "1", netFlows: "0", ratePct: "-1" }),
    ).toThrow(DomainError);
  });

  const money = fc.integer({ min: 0, max: 10_000_000 }).map((c) => D(c).div(100));
  const flows = fc.integer({ min: -1_000_000, max: 1_000_000 }).map((c) => D(c).div(100));
  const rate = fc.integer({ min: 0, max: 100 });

  it("is between 0 and rate × gain, and never charged twice for the same gain (property)", () => {
    fc.assert(
      fc.property(money, money, flows, rate, (equity, hwm, net, pct) => {
        const r = performanceFee({ equity, highWaterMark: hwm, netFlows: net, ratePct: pct });
        const gain = equity.minus(hwm).minus(net);
        expect(r.fee.gte(0)).toBe(true);
        expect(r.fee.lte(maxDec(gain, D(0)).times(pct).div(100))).toBe(true);
        // pay the fee, ask again at the new mark: nothing more is due
        const again = performanceFee({
          equity: equity.minus(r.fee),
          highWaterMark: r.newHighWaterMark,
          netFlows: 0,
          ratePct: pct,
        });
        expect(again.fee.isZero()).toBe(true);
      }),
    );
  });

  it("a deposit changes nothing: equity and flows up by the same amount (property)", () => {
    fc.assert(
      fc.property(money, money, flows, rate, money, (equity, hwm, net, pct, dep) => {
        const a = performanceFee({ equity, highWaterMark: hwm, netFlows: net, ratePct: pct });
        const b = performanceFee({
          equity: equity.plus(dep),
          highWaterMark: hwm,
          netFlows: net.plus(dep),
          ratePct: pct,
        });
        expect(b.fee.eq(a.fee)).toBe(true);
      }),
    );
  });
});
