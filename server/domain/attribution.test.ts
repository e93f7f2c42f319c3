import { describe, expect, it } from "vitest";
import { attributeDifference, roundParts } from "./attribution";
import { D, fmt } from "./money";

/*
 * Worked by hand. Capital 10 000, leader equity 100 000 at the start (r = 0.1).
 * Leader buys 25 @ 100 (0 → 25), later 20 @ 110 (25 → 45); at the end bid 120 / ask 120.20.
 * The copy buys 2 @ 100.05 (target quantize(2.5) = 2, commission 0.01); the second fill is
 * skipped while paused (target quantize(4.5) = 4). Platform fee charged: 0.10.
 *
 *   X0 leader: (25 × 20 + 20 × 10) × 10 000 / 100 000      = 70
 *   X1 unrounded targets 2.5, 4.5: 2.5 × 20 + 2 × 10       = 70     ratio        0
 *   X2 targets 2, 4: 2 × 20 + 2 × 10                       = 60     rounding    10
 *   X3 filled 2 at the leader's 100: 2 × 20                = 40     PAUSED      20
 *   X4 at the copy's 100.05: 2 × 19.95                     = 39.90  execution    0.10
 *   X5 − commission 0.01                                   = 39.89  commissions  0.01
 *   X6 − fee 0.10                                          = 39.79  fees         0.10
 *   books: 2 × (120 − 100.05) − 0.01 − 0.10                = 39.79; difference 30.21
 */
const input = {
  capital: "10000",
  leaderStartEquity: "100000",
  sizing: { mode: "proportional" as const, startRatio: "0.1", allocation: "10000", notional: null },
  multipliers: new Map([["AAPL", "1"]]),
  quotes: new Map([["AAPL", { bid: "120", ask: "120.2" }]]),
  leaderEvents: [
    {
      type: "fill" as const,
      fillId: "f-1",
      symbol: "AAPL",
      qty: "25",
      price: "100",
      commission: "0",
      positionBefore: "0",
      positionAfter: "25",
      at: new Date("2026-01-05T14:30:00Z"),
    },
    {
      type: "fill" as const,
      fillId: "f-2",
      symbol: "AAPL",
      qty: "20",
      price: "110",
      commission: "0",
      positionBefore: "25",
      positionAfter: "45",
      at: new Date("2026-01-06T14:30:00Z"),
    },
  ],
  allocationChanges: [],
  decisions: [
    { leaderFillId: "f-1", symbol: "AAPL", target: "2", reason: "OK", clientOrderId: "c-1" },
    { leaderFillId: "f-2", symbol: "AAPL", target: "4", reason: "PAUSED", clientOrderId: null },
  ],
  orders: [{ clientOrderId: "c-1", origin: "copy", leaderFillId: "f-1" }],
  fills: [{ clientOrderId: "c-1", symbol: "AAPL", qty: "2", price: "100.05", commission: "0.01" }],
  feesCharged: [{ amount: "0.1" }],
  positions: [{ symbol: "AAPL", qty: "2", avgCost: "100.05", realizedPnl: "0", fees: "0.01" }],
};

describe("attributeDifference", () => {
  it("splits a hand-computed example into its named parts, adding up exactly", () => {
    const a = attributeDifference(input);
    expect(fmt(a.leaderPnl)).toBe("70");
    expect(fmt(a.copyPnl)).toBe("39.79");
    expect(fmt(a.difference)).toBe("30.21");
    expect(a.parts.map((p) => [p.key, p.reason ?? null, fmt(p.amount)])).toEqual([
      ["ratio", null, "0"],
      ["rounding", null, "10"],
      ["skipped", "PAUSED", "20"],
      ["catch_up", null, "0"],
      ["execution", null, "0.1"],
      ["commissions", null, "0.01"],
      ["fees", null, "0.1"],
    ]);
    expect(fmt(a.parts.reduce((s, p) => s.plus(p.amount), D(0)))).toBe("30.21");
  });

  it("shows a multiplier copy's unused cash as the ratio part", () => {
    // Factor 0.05 of a 100 000 leader on 10 000 of capital: half the capital sits idle.
    const a = attributeDifference({
      ...input,
      sizing: { mode: "multiplier", startRatio: "0.05", allocation: null, notional: null },
      decisions: [
        { leaderFillId: "f-1", symbol: "AAPL", target: "1", reason: "OK", clientOrderId: "c-1" },
        { leaderFillId: "f-2", symbol: "AAPL", target: "2", reason: "OK", clientOrderId: "c-2" },
      ],
      orders: [
        { clientOrderId: "c-1", origin: "copy", leaderFillId: "f-1" },
        { clientOrderId: "c-2", origin: "copy", leaderFillId: "f-2" },
      ],
      fills: [
        { clientOrderId: "c-1", symbol: "AAPL", qty: "1", price: "100", commission: "0" },
        { clientOrderId: "c-2", symbol: "AAPL", qty: "1", price: "110", commission: "0" },
      ],
      feesCharged: [],
      positions: [{ symbol: "AAPL", qty: "2", avgCost: "105", realizedPnl: "0", fees: "0" }],
    });
    // X1 = 1.25 × 20 + 1 × 10 = 35: the other 35 of the leader's 70 is the idle half.
    expect(fmt(a.parts.find((p) => p.key === "ratio")!.amount)).toBe("35");
    expect(fmt(a.parts.find((p) => p.key === "rounding")!.amount)).toBe("5");
    expect(fmt(a.copyPnl)).toBe("30");
    expect(fmt(a.parts.reduce((s, p) => s.plus(p.amount), D(0)))).toBe(fmt(a.difference));
  });
});

describe("roundParts", () => {
  it("keeps the rounded parts adding up to the rounded total", () => {
    const parts = [D("0.333"), D("0.333"), D("0.334")];
    const r = roundParts(parts, D(1), 2);
    expect(r.reduce((s, x) => s.plus(x), D(0)).toFixed(2)).toBe("1.00");
    expect(roundParts([D("-1.005"), D("2.0049")], D("0.9999"), 2)).toEqual(["-1", "2"]);
  });
});
