import { describe, expect, it } from "vitest";
import { detectStrategyChange, strategyChangeRuleWords, type HistoryFill } from "./strategy-change";
import { autoBreakerRuleWords, verifyHistory } from "./verified";
import { LEADER_FILLS_PER_MINUTE_LIMIT } from "../engine/risk/breakers";

const NOW = new Date("2026-03-31T12:00:00Z");
const HOUR = 3_600_000;

/**
 * A leader who opens and closes a position in SPY once a day for 30 days, sizes varying
 * ±40 % around `base`; then `recent` round trips in the last day at `recentSize`.
 */
function history(base: number, recentSize: number, recentSymbol = "SPY"): HistoryFill[] {
  const fills: HistoryFill[] = [];
  const wobble = [1, 1.4, 0.6, 1.2, 0.8, 1.1, 0.9];
  for (let d = 30; d >= 2; d--) {
    const qty = String(base * wobble[d % wobble.length]!);
    const open = new Date(NOW.getTime() - d * 24 * HOUR);
    const close = new Date(open.getTime() + 6 * HOUR);
    fills.push({
      symbol: "SPY",
      side: "buy",
      qty,
      price: "500",
      multiplier: "1",
      positionAfter: qty,
      at: open,
    });
    fills.push({
      symbol: "SPY",
      side: "sell",
      qty,
      price: "502",
      multiplier: "1",
      positionAfter: "0",
      at: close,
    });
  }
  const open = new Date(NOW.getTime() - 5 * HOUR);
  const qty = String(recentSize);
  fills.push({
    symbol: recentSymbol,
    side: "buy",
    qty,
    price: "500",
    multiplier: "1",
    positionAfter: qty,
    at: open,
  });
  return fills;
}

describe("strategy-change detector", () => {
  it("flags a leader whose position size jumps tenfold, naming the figure", () => {
    const out = detectStrategyChange({ now: NOW, fills: history(10, 100) });
    expect(out.compared).toBe(true);
    expect(out.flagged).toBe(true);
    expect(out.figures.size.departed).toBe(true);
    // Largest recent position 100 × 500 against the trailing median 10 × 500.
    expect(out.figures.size.recent).toBe("50000");
    expect(out.figures.size.trailing).toBe("5000");
    expect(out.reasons).toEqual(["position size 10× the 30-day median"]);
  });

  it("does not flag normal variation (the largest wobble, 1.4×) nor a leader without history", () => {
    const normal = detectStrategyChange({ now: NOW, fills: history(10, 14) });
    expect(normal.compared).toBe(true);
    expect(normal.flagged).toBe(false);
    expect(normal.figures.size.departed).toBe(false);
    const young = detectStrategyChange({ now: NOW, fills: history(10, 100).slice(-5) });
    expect(young.compared).toBe(false);
    expect(young.flagged).toBe(false);
  });

  it("flags trading moved into instruments the leader never traded, and leverage far above equity", () => {
    const moved = detectStrategyChange({ now: NOW, fills: history(10, 10, "BTC-USD") });
    expect(moved.figures.instruments.departed).toBe(true);
    expect(moved.reasons[0]).toMatch(
      /100 % of recent trading in instruments new to the leader \(BTC-USD\)/,
    );
    const equity = Array.from({ length: 32 }, (_, i) => ({
      day: new Date(NOW.getTime() - (32 - i) * 24 * HOUR).toISOString().slice(0, 10),
      equity: "10000",
    }));
    // 50 % of equity normally; 4× equity now.
    const lev = detectStrategyChange({ now: NOW, fills: history(10, 80), equity });
    expect(lev.figures.leverage.departed).toBe(true);
    expect(lev.figures.leverage.recent).toBe("4");
  });

  it("states every rule with its threshold in words", () => {
    const words = strategyChangeRuleWords().join(" ");
    expect(words).toMatch(/at least 5× the leader's median position of the 30 days before/);
    expect(words).toMatch(/50 %/);
    // The breaker words quote the engine's own fill-rate limit.
    expect(autoBreakerRuleWords()[1]).toContain(
      `more than ${LEADER_FILLS_PER_MINUTE_LIMIT} trades`,
    );
  });
});

describe("verified history", () => {
  const rec = [
    { brokerTradeId: "t1", symbol: "SPY", side: "buy" as const, qty: "10", price: "500" },
    { brokerTradeId: "t2", symbol: "SPY", side: "sell" as const, qty: "10", price: "502" },
  ];
  it("verifies only a history the broker reports fill for fill", () => {
    const broker = [
      { tradeId: "t1", symbol: "SPY", side: "buy" as const, qty: "10.0", price: "500" },
      { tradeId: "t2", symbol: "SPY", side: "sell" as const, qty: "10", price: "502.00" },
      { tradeId: "t3", symbol: "AAPL", side: "buy" as const, qty: "1", price: "200" },
    ];
    expect(verifyHistory(rec, broker)).toMatchObject({ verified: true, checked: 2, matched: 2 });
    const off = verifyHistory(rec, [{ ...broker[0]!, price: "499" }]);
    expect(off.verified).toBe(false);
    expect(off.reasons).toEqual([
      "1 of 2 recorded trades is not reported by the broker.",
      "1 of 2 recorded trades differs from what the broker reports.",
    ]);
    expect(off.mismatches.map((m) => m.kind)).toEqual(["different", "missing"]);
    expect(verifyHistory([], broker).verified).toBe(false);
  });
});
