import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { D, fmt, ZERO } from "../../domain/money";
import { applyFill, openingQty } from "./positions";

describe("applyFill", () => {
  it("averages when adding, keeps the cost when reducing, restarts it when flipping", () => {
    let p = applyFill({ qty: ZERO, avgCost: ZERO }, "buy", D(10), D(100));
    p = applyFill(p, "buy", D(10), D(110));
    expect([fmt(p.qty), fmt(p.avgCost)]).toEqual(["20", "105"]);
    p = applyFill(p, "sell", D(5), D(120));
    expect([fmt(p.qty), fmt(p.avgCost)]).toEqual(["15", "105"]);
    p = applyFill(p, "sell", D(20), D(90));
    expect([fmt(p.qty), fmt(p.avgCost)]).toEqual(["-5", "90"]);
    p = applyFill(p, "buy", D(5), D(80));
    expect([fmt(p.qty), fmt(p.avgCost)]).toEqual(["0", "0"]);
  });

  it("the position is always the signed sum of the fills", () => {
    const fill = fc.record({
      side: fc.constantFrom("buy" as const, "sell" as const),
      qty: fc.integer({ min: 1, max: 50 }),
      price: fc.integer({ min: 1, max: 500 }),
    });
    fc.assert(
      fc.property(fc.array(fill, { maxLength: 30 }), (fills) => {
        let p = { qty: ZERO, avgCost: ZERO };
        let sum = ZERO;
        for (const f of fills) {
          p = applyFill(p, f.side, D(f.qty), D(f.price));
          sum = f.side === "buy" ? sum.plus(f.qty) : sum.minus(f.qty);
          expect(p.avgCost.gte(0)).toBe(true);
        }
        expect(fmt(p.qty)).toBe(fmt(sum));
      }),
    );
  });
});

describe("openingQty", () => {
  it("is the part of an order beyond flat on the side that grows the position", () => {
    expect(fmt(openingQty(D(10), "sell", D(4)))).toBe("0");
    expect(fmt(openingQty(D(10), "sell", D(15)))).toBe("5");
    expect(fmt(openingQty(D(-3), "sell", D(2)))).toBe("2");
    expect(fmt(openingQty(ZERO, "buy", D(2)))).toBe("2");
  });
});
