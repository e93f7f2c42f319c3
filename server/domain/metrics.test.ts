import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { D, Decimal, DomainError, fmt } from "./money";
import {
  annualizedVolatility,
  averageHoldingHours,
  dailyReturns,
  instrumentFocus,
  maxDrawdown,
  performanceSummary,
  returnOverPeriod,
  returnsOverPeriods,
  riskScore,
  sharpe,
  summaryAndReturnsSince,
  timeWeightedReturn,
  tradeFrequency,
  winRate,
  type ClosedTrade,
  type EquityPoint,
} from "./metrics";

const day = (n: number, hour = 21) => new Date(Date.UTC(2026, 0, 5 + n, hour)).toISOString();
const curve = (...equities: string[]): EquityPoint[] =>
  equities.map((equity, i) => ({ at: day(i), equity }));

describe("timeWeightedReturn", () => {
  it("neutralises a deposit: 100 → 110, +50 → 160 → 176 is 1.1 × 1.1 − 1 = 21 %", () => {
    const series = curve("100", "110", "160", "176");
    expect(timeWeightedReturn(series, [{ at: day(2), amount: "50" }])).toBe("0.21");
    // the flow may be reported any time after the previous snapshot: it belongs to day 2
    expect(timeWeightedReturn(series, [{ at: day(1, 22), amount: "50" }])).toBe("0.21");
    // without the flow the deposit would look like profit: 176 / 100 − 1
    expect(timeWeightedReturn(series)).toBe("0.76");
  });

  it("neutralises a withdrawal: 100 → 120, −60 → 60 → 66 is 1.2 × 1 × 1.1 − 1 = 32 %", () => {
    const series = curve("100", "120", "60", "66");
    expect(timeWeightedReturn(series, [{ at: day(2), amount: "-60" }])).toBe("0.32");
  });

  it("ignores flows before the first and after the last snapshot", () => {
    const series = curve("100", "110");
    expect(
      timeWeightedReturn(series, [
        { at: day(-1), amount: "1000" },
        { at: day(0), amount: "5" },
        { at: day(3), amount: "-50" },
      ]),
    ).toBe("0.1");
  });

  it("sorts snapshots by time and needs two of them", () => {
    expect(timeWeightedReturn([curve("100", "125")[1]!, curve("100")[0]!])).toBe("0.25");
    expect(timeWeightedReturn(curve("100"))).toBe("0");
    expect(timeWeightedReturn([])).toBe("0");
  });

  it("skips a sub-period that starts from zero equity (an account funded later)", () => {
    const series = curve("0", "100", "110");
    expect(timeWeightedReturn(series, [{ at: day(1), amount: "100" }])).toBe("0.1");
  });

  it("refuses float money and bad dates", () => {
    expect(() => timeWeightedReturn([{ at: day(0), equity: 100 as unknown as string }])).toThrow(
      /series\[0\]\.equity/,
    );
    expect(() => timeWeightedReturn([{ at: "yesterday", equity: "1" }])).toThrow(DomainError);
  });
});

// A positive equity curve, one snapshot per day, in cents.
const equityCurve = fc
  .array(fc.integer({ min: 1, max: 10_000_000 }), { minLength: 2, maxLength: 40 })
  .map((cents) => cents.map((c, i) => ({ at: day(i), equity: fmt(D(c).div(100)) })));

describe("timeWeightedReturn: properties", () => {
  it("without flows is last / first − 1", () => {
    fc.assert(
      fc.property(equityCurve, (series) => {
        const expected = D(series.at(-1)!.equity).div(series[0]!.equity).minus(1);
        expect(timeWeightedReturn(series)).toBe(fmt(expected.toDecimalPlaces(10)));
      }),
    );
  });

  it("is unchanged by a deposit at a snapshot that scales the rest of the curve", () => {
    fc.assert(
      fc.property(equityCurve, fc.nat(), fc.integer({ min: 1, max: 5 }), (series, k0, m) => {
        const k = 1 + (k0 % (series.length - 1));
        // deposit m × E_k at snapshot k; from there the account is (1 + m) times larger
        const deposit = D(series[k]!.equity).times(m);
        const scaled = series.map((p, i) =>
          i < k ? p : { ...p, equity: fmt(D(p.equity).times(1 + m)) },
        );
        expect(timeWeightedReturn(scaled, [{ at: series[k]!.at, amount: fmt(deposit) }])).toBe(
          timeWeightedReturn(series),
        );
      }),
    );
  });

  it("compounds daily returns back to the TWR", () => {
    // daily moves within ±50 %, so rounding each return to 10 places stays negligible
    const walk = fc
      .tuple(
        fc.integer({ min: 100, max: 1_000_000 }),
        fc.array(fc.integer({ min: -5000, max: 5000 }), { minLength: 1, maxLength: 40 }),
      )
      .map(([start, moves]) => {
        let e = D(start);
        return [
          e,
          ...moves.map(
            (bps) =>
              (e = Decimal.max(1, e.times(D(10_000).plus(bps)).div(10_000).toDecimalPlaces(2))),
          ),
        ].map((equity, i) => ({ at: day(i), equity: fmt(equity) }));
      });
    fc.assert(
      fc.property(walk, (series) => {
        const compounded = dailyReturns(series).reduce((a, r) => a.times(D(1).plus(r.value)), D(1));
        const growth = D(1).plus(timeWeightedReturn(series));
        expect(compounded.div(growth).minus(1).abs().lt("1e-8")).toBe(true);
      }),
    );
  });
});

describe("returnOverPeriod", () => {
  const series = curve("100", "110", "121", "133.1");
  it("starts at the equity as of `from`", () => {
    expect(returnOverPeriod(series, [], day(1))).toBe("0.21");
    expect(returnOverPeriod(series, [], day(1, 23))).toBe("0.21");
    expect(returnOverPeriod(series, [], day(-5))).toBe("0.331");
    expect(returnOverPeriod(series, [], day(9))).toBe("0");
  });

  it("neutralises flows inside the period", () => {
    const withFlow = curve("100", "110", "171", "188.1");
    expect(returnOverPeriod(withFlow, [{ at: day(2), amount: "50" }], day(1))).toBe("0.21");
  });
});

describe("maxDrawdown", () => {
  it("is the worst fall from a running peak", () => {
    // 120 → 90 is 25 %, 130 → 65 is 50 %
    expect(maxDrawdown(curve("100", "120", "90", "130", "65"))).toBe("0.5");
    expect(maxDrawdown(curve("100", "120", "90", "130", "117"))).toBe("0.25");
    expect(maxDrawdown(curve("100", "101", "102"))).toBe("0");
  });

  it("does not count a withdrawal as a loss", () => {
    const series = curve("100", "50", "45");
    expect(maxDrawdown(series)).toBe("0.55");
    expect(maxDrawdown(series, [{ at: day(1), amount: "-50" }])).toBe("0.1");
  });

  it("lies in [0, 1] for positive equity and is 0 for a rising curve (property)", () => {
    fc.assert(
      fc.property(equityCurve, (series) => {
        const dd = D(maxDrawdown(series));
        expect(dd.gte(0) && dd.lt(1)).toBe(true);
        const sorted = [...series.map((p) => D(p.equity))].sort((a, b) => a.cmp(b));
        const rising = sorted.map((e, i) => ({ at: day(i), equity: fmt(e) }));
        expect(maxDrawdown(rising)).toBe("0");
      }),
    );
  });
});

describe("maxDrawdown: the deepest point of each peak", () => {
  it("without flows is the largest (peak − equity) / peak over the curve, point by point (property)", () => {
    fc.assert(
      fc.property(equityCurve, (series) => {
        let peak = D(series[0]!.equity);
        let worst = D(0);
        for (const p of series) {
          const e = D(p.equity);
          if (e.gt(peak)) peak = e;
          const dd = peak.minus(e).div(peak);
          if (dd.gt(worst)) worst = dd;
        }
        expect(maxDrawdown(series)).toBe(fmt(worst.toDecimalPlaces(10)));
      }),
    );
  });
});

describe("one growth index for several metrics", () => {
  it("gives what the separate calls give (property)", () => {
    fc.assert(
      fc.property(equityCurve, fc.nat(), fc.integer({ min: -30, max: 30 }), (series, k0, flow) => {
        const k = 1 + (k0 % (series.length - 1));
        const flows = flow === 0 ? [] : [{ at: series[k]!.at, amount: String(flow) }];
        const froms = [series[0]!.at, series[k]!.at, day(-3), day(series.length + 2)];
        const both = summaryAndReturnsSince({ series, flows }, froms);
        expect(both.summary).toEqual(performanceSummary({ series, flows }));
        const separately = froms.map((f) => returnOverPeriod(series, flows, f));
        expect(both.since).toEqual(separately);
        expect(returnsOverPeriods(series, flows, froms)).toEqual({
          all: timeWeightedReturn(series, flows),
          since: separately,
        });
      }),
    );
  });
});

describe("dailyReturns", () => {
  it("uses the last snapshot of each UTC day and skips days without one", () => {
    const series: EquityPoint[] = [
      { at: day(0, 10), equity: "100" },
      { at: day(0, 20), equity: "200" },
      { at: day(1, 12), equity: "210" },
      { at: day(4, 12), equity: "189" },
    ];
    expect(dailyReturns(series)).toEqual([
      { date: "2026-01-06", value: "0.05" },
      { date: "2026-01-09", value: "-0.1" },
    ]);
  });

  it("neutralises flows", () => {
    const series = curve("100", "160", "176");
    expect(dailyReturns(series, [{ at: day(1), amount: "50" }])).toEqual([
      { date: "2026-01-06", value: "0.1" },
      { date: "2026-01-07", value: "0.1" },
    ]);
  });
});

describe("annualizedVolatility and sharpe", () => {
  it("uses the sample stdev × √252: ±1 % alternating is √(0.0004/3 × 252) = √0.0336", () => {
    const rs = ["0.01", "-0.01", "0.01", "-0.01"];
    expect(annualizedVolatility(rs)).toBe("0.1833030278");
    expect(fmt(D("0.0336").sqrt().toDecimalPlaces(10))).toBe("0.1833030278");
  });

  it("accepts the output of dailyReturns directly", () => {
    const daily = dailyReturns(curve("100", "101", "99.99", "100.9899"));
    expect(daily.map((r) => r.value)).toEqual(["0.01", "-0.01", "0.01"]);
    // mean 1/300, deviations 2/300, −4/300, 2/300 → var = 24/90000 / 2
    expect(annualizedVolatility(daily)).toBe(
      fmt(D(24).div(180000).times(252).sqrt().toDecimalPlaces(10)),
    );
  });

  it("is 0 for fewer than two returns", () => {
    expect(annualizedVolatility([])).toBe("0");
    expect(annualizedVolatility(["0.5"])).toBe("0");
  });

  it("Sharpe of 1 %, 2 %, 3 %: mean 0.02, stdev 0.01, × √252 = 31.749…", () => {
    expect(sharpe(["0.01", "0.02", "0.03"])).toBe("31.7490157328");
    // a 2.52 % annual risk-free rate is 0.0001 a day: 1.99 × √252
    expect(sharpe(["0.01", "0.02", "0.03"], "0.0252")).toBe("31.5902706541");
  });

  it("has no Sharpe without volatility", () => {
    expect(sharpe(["0.01", "0.01"])).toBeNull();
    expect(sharpe(["0.01"])).toBeNull();
  });

  it("constant equity has zero volatility and risk score 1 (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 2, max: 60 }),
        (e, n) => {
          const series = Array.from({ length: n }, (_, i) => ({ at: day(i), equity: String(e) }));
          const vol = annualizedVolatility(dailyReturns(series));
          expect(vol).toBe("0");
          expect(riskScore(vol)).toBe(1);
          expect(maxDrawdown(series)).toBe("0");
        },
      ),
    );
  });

  it("volatility is non-negative and scale-invariant in the equity (property)", () => {
    fc.assert(
      fc.property(equityCurve, fc.integer({ min: 2, max: 7 }), (series, k) => {
        const scaled = series.map((p) => ({ ...p, equity: fmt(D(p.equity).times(k)) }));
        const v = annualizedVolatility(dailyReturns(series));
        expect(D(v).gte(0)).toBe(true);
        expect(annualizedVolatility(dailyReturns(scaled))).toBe(v);
      }),
    );
  });
});

describe("riskScore", () => {
  it.each([
    ["0", 1],
    ["0.0199", 1],
    ["0.02", 2],
    ["0.0799", 3],
    ["0.12", 5],
    ["0.1833", 6],
    ["0.2", 7],
    ["0.3999", 9],
    ["0.4", 10],
    ["3", 10],
  ])("vol %s -> %i", (v, score) => {
    expect(riskScore(v)).toBe(score);
  });

  it("rejects a negative volatility", () => {
    expect(() => riskScore("-0.1")).toThrow(DomainError);
  });

  it("is monotone and within 1..10 (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        (a, b) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          const s = riskScore(D(lo).div(100_000));
          expect(s).toBeGreaterThanOrEqual(1);
          expect(riskScore(D(hi).div(100_000))).toBeGreaterThanOrEqual(s);
          expect(riskScore(D(hi).div(100_000))).toBeLessThanOrEqual(10);
        },
      ),
    );
  });
});

const trade = (symbol: string, pnl: string, hours = 1, startDay = 0): ClosedTrade => ({
  symbol,
  pnl,
  openedAt: day(startDay, 10),
  closedAt: new Date(Date.parse(day(startDay, 10)) + hours * 3_600_000).toISOString(),
});

describe("trade statistics", () => {
  const trades = [
    trade("AAPL", "10", 2),
    trade("AAPL", "-5", 4),
    trade("MSFT", "0", 3),
    trade("AAPL", "3", 1),
    trade("TSLA", "7", 5),
  ];

  it("win rate counts strictly positive trades", () => {
    expect(winRate(trades)).toBe("0.6");
    expect(winRate([trade("X", "0")])).toBe("0");
    expect(winRate([])).toBeNull();
  });

  it("trade frequency is trades per week", () => {
    expect(tradeFrequency(trades.concat(trade("X", "1")), 14)).toBe("3");
    expect(tradeFrequency([], 7)).toBe("0");
    expect(() => tradeFrequency(trades, 0)).toThrow(DomainError);
  });

  it("average holding time is in hours", () => {
    expect(averageHoldingHours(trades)).toBe("3");
    expect(averageHoldingHours([trade("X", "1", 0.5)])).toBe("0.5");
    expect(averageHoldingHours([])).toBeNull();
    expect(() =>
      averageHoldingHours([{ symbol: "X", pnl: "1", openedAt: day(1), closedAt: day(0) }]),
    ).toThrow(DomainError);
  });

  it("instrument focus is the count share per symbol, largest first, ties by name", () => {
    expect(instrumentFocus(trades)).toEqual([
      { symbol: "AAPL", trades: 3, share: "0.6" },
      { symbol: "MSFT", trades: 1, share: "0.2" },
      { symbol: "TSLA", trades: 1, share: "0.2" },
    ]);
    expect(instrumentFocus([])).toEqual([]);
  });

  it("win rate in [0,1] and focus shares sum to 1 (property)", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.constantFrom("A", "B", "C", "D"), fc.integer({ min: -100, max: 100 })),
          {
            minLength: 1,
            maxLength: 50,
          },
        ),
        (ts) => {
          const trades = ts.map(([s, p]) => trade(s, String(p)));
          const wr = D(winRate(trades)!);
          expect(wr.gte(0) && wr.lte(1)).toBe(true);
          const focus = instrumentFocus(trades);
          const sum = focus.reduce((a, f) => a.plus(f.share), D(0));
          expect(sum.minus(1).abs().lte("1e-9")).toBe(true);
          expect(focus.reduce((a, f) => a + f.trades, 0)).toBe(trades.length);
          for (let i = 1; i < focus.length; i++)
            expect(focus[i - 1]!.trades >= focus[i]!.trades).toBe(true);
        },
      ),
    );
  });
});

describe("performanceSummary", () => {
  it("computes every metric the same way for any account", () => {
    const series = curve("100", "110", "160", "176");
    const flows = [{ at: day(2), amount: "50" }];
    const trades = [trade("AAPL", "10", 2), trade("MSFT", "-4", 4)];
    const s = performanceSummary({ series, flows, trades });
    expect(s.twr).toBe("0.21");
    expect(s.maxDrawdown).toBe("0");
    expect(s.winRate).toBe("0.5");
    // 2 trades over 3 days
    expect(s.tradesPerWeek).toBe(fmt(D(2).div(3).times(7).toDecimalPlaces(10)));
    expect(s.averageHoldingHours).toBe("3");
    expect(s.volatility).toBe(annualizedVolatility(dailyReturns(series, flows)));
    expect(s.riskScore).toBe(riskScore(s.volatility));
    // daily returns 0.1, 0, 0.1 (the deposit day is flat)
    expect(dailyReturns(series, flows).map((r) => r.value)).toEqual(["0.1", "0", "0.1"]);
  });

  it("handles an account with a single snapshot and no trades", () => {
    const s = performanceSummary({ series: curve("100") });
    expect(s).toMatchObject({
      twr: "0",
      maxDrawdown: "0",
      volatility: "0",
      sharpe: null,
      riskScore: 1,
    });
    expect(s.tradesPerWeek).toBeNull();
  });
});
