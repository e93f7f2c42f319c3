import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { D, fmt, ZERO, type Decimal } from "./money";
import { bookEquity, copyPnl, markPrice, valuer, type HeldPosition, type Quote } from "./valuation";
import { fxText } from "./fixed";

/*
 * The valuation runs on scaled integers (fixed.ts); these properties hold it to the same
 * rule computed step by step with decimal.js, on random books: longs, shorts, flat rows
 * with realized P&L, symbols without a quote (last price, else average cost), multipliers
 * and average costs with many decimals (as a booking's division leaves them).
 */

const SYMBOLS = ["AAA", "BBB", "CCC", "DDD"];
const price = fc
  .tuple(fc.integer({ min: 1, max: 5_000_000 }), fc.integer({ min: 0, max: 4 }))
  .map(([n, dp]) => fmt(D(n).div(D(10).pow(dp))));
const signed = (max: number, dp: number) =>
  fc.integer({ min: -max, max }).map((n) => fmt(D(n).div(D(10).pow(dp))));
const avgCost = fc
  .tuple(price, fc.integer({ min: 1, max: 7 }))
  .map(([p, d]) => fmt(D(p).div(d).toDecimalPlaces(20)));
const position = fc.record({
  symbol: fc.constantFrom(...SYMBOLS),
  qty: fc.oneof(fc.constant("0"), signed(100_000, 3)),
  avgCost,
  realizedPnl: signed(10_000_000, 2),
  fees: fc.integer({ min: 0, max: 100_000 }).map((n) => fmt(D(n).div(1000))),
});
const market = fc.record({
  quotes: fc.dictionary(
    fc.constantFrom(...SYMBOLS),
    fc.tuple(price, price).map(([a, b]) => {
      const [bid, ask] = D(a).lte(b) ? [a, b] : [b, a];
      return { bid, ask };
    }),
  ),
  mult: fc.dictionary(fc.constantFrom(...SYMBOLS), fc.constantFrom("1", "100", "0.01", "50")),
  last: fc.dictionary(fc.constantFrom(...SYMBOLS), price),
});

// The rule as written before the scaled integers, on decimal.js: the oracle.
function refMark(qty: Decimal, q: Quote | undefined, basis: "exit" | "mid", last: Decimal.Value) {
  if (!q) return D(last);
  if (basis === "mid") return D(q.bid).plus(q.ask).div(2);
  return qty.isNeg() ? D(q.ask) : D(q.bid);
}
function refCopyPnl(
  ps: HeldPosition[],
  quotes: Map<string, Quote>,
  mult: Map<string, string>,
  last: Map<string, string>,
) {
  let pnl = ZERO;
  for (const p of ps) {
    pnl = pnl.plus(p.realizedPnl).minus(p.fees);
    const qty = D(p.qty);
    if (qty.isZero()) continue;
    const exit = refMark(qty, quotes.get(p.symbol), "exit", last.get(p.symbol) ?? p.avgCost);
    pnl = pnl.plus(
      exit
        .minus(p.avgCost)
        .times(qty)
        .times(mult.get(p.symbol) ?? "1"),
    );
  }
  return pnl;
}

const maps = (m: {
  quotes: Record<string, Quote>;
  mult: Record<string, string>;
  last: Record<string, string>;
}) => ({
  quotes: new Map(Object.entries(m.quotes)),
  mult: new Map(Object.entries(m.mult)),
  last: new Map(Object.entries(m.last)),
});

describe("valuation on scaled integers equals the decimal.js rule", () => {
  it("copyPnl, with and without last prices", () => {
    fc.assert(
      fc.property(fc.array(position, { maxLength: 6 }), market, (ps, m) => {
        const { quotes, mult, last } = maps(m);
        expect(fmt(copyPnl(ps, quotes, mult))).toBe(fmt(refCopyPnl(ps, quotes, mult, new Map())));
        expect(fmt(copyPnl(ps, quotes, mult, last))).toBe(fmt(refCopyPnl(ps, quotes, mult, last)));
      }),
      { numRuns: 200 },
    );
  });

  it("one valuer reused over many copies gives each copy's own P&L", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(position, { maxLength: 4 }), { maxLength: 8 }),
        market,
        (books, m) => {
          const { quotes, mult } = maps(m);
          const v = valuer(quotes, mult);
          for (const ps of books)
            expect(fxText(v.copyPnl(ps))).toBe(fmt(refCopyPnl(ps, quotes, mult, new Map())));
        },
      ),
      { numRuns: 200 },
    );
  });

  it("bookEquity at exit and mid, and markPrice", () => {
    const held = fc.record({
      symbol: fc.constantFrom(...SYMBOLS),
      qty: fc.oneof(fc.constant("0"), signed(100_000, 3)),
      lastPrice: price,
    });
    fc.assert(
      fc.property(
        signed(100_000_000, 2),
        fc.array(held, { maxLength: 6 }),
        market,
        fc.constantFrom("exit" as const, "mid" as const),
        (cash, ps, m, basis) => {
          const { quotes, mult } = maps(m);
          let ref = D(cash);
          for (const p of ps) {
            const qty = D(p.qty);
            if (qty.isZero()) continue;
            ref = ref.plus(
              qty
                .times(refMark(qty, quotes.get(p.symbol), basis, p.lastPrice))
                .times(mult.get(p.symbol) ?? 1),
            );
          }
          expect(fmt(bookEquity({ cash, positions: ps, quotes, multipliers: mult, basis }))).toBe(
            fmt(ref),
          );
          for (const p of ps)
            expect(fmt(markPrice(p.qty, quotes.get(p.symbol), basis, p.lastPrice))).toBe(
              fmt(refMark(D(p.qty), quotes.get(p.symbol), basis, p.lastPrice)),
            );
        },
      ),
      { numRuns: 150 },
    );
  });

  it("values a short at the ask, a long at the bid, an unquoted symbol at its last price", () => {
    const quotes = new Map([["AAA", { bid: "99.5", ask: "100.5" }]]);
    const mult = new Map([["AAA", "2"]]);
    const long = { symbol: "AAA", qty: "3", avgCost: "90", realizedPnl: "1", fees: "0.5" };
    const short = { ...long, qty: "-3" };
    const unquoted = { ...long, symbol: "ZZZ" };
    // (99.5 − 90) × 3 × 2 + 1 − 0.5 and (100.5 − 90) × −3 × 2 + 1 − 0.5
    expect(fmt(copyPnl([long], quotes, mult))).toBe(fmt(D("99.5").minus(90).times(6).plus("0.5")));
    expect(fmt(copyPnl([short], quotes, mult))).toBe(
      fmt(D("100.5").minus(90).times(-6).plus("0.5")),
    );
    expect(fmt(copyPnl([unquoted], quotes, mult, new Map([["ZZZ", "95"]])))).toBe(
      fmt(D(95).minus(90).times(3).plus("0.5")),
    );
    expect(fmt(copyPnl([unquoted], quotes, mult))).toBe("0.5");
  });
});
