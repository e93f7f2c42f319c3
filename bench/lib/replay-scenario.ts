import { createRng } from "../../server/domain/random";
import { parseScenario } from "../../server/engine/replay/scenario";
import { shareSpec } from "../../server/engine/testing/scenario-parts";
import { cents } from "./world";

/**
 * A generated replay scenario for benchmarks: three symbols, a quote before every leader
 * fill (a seeded random walk), a leader who mostly adds and sometimes halves, every tenth
 * follower given two faults of one kind (all five kinds in turn), a reconcile midway, and
 * the three sizing modes and both insufficient-funds rules spread over the followers.
 * Deterministic for a seed.
 */
export function generateScenario(nFollowers: number, nFills: number, seed = "bench-replay") {
  const rng = createRng(seed);
  const symbols = ["AAA", "BBB", "CCC"];
  // Prices in integer cents: a walk of floats printed with toFixed would round in binary.
  const price = new Map(symbols.map((s, i) => [s, 5000 + 2500 * i]));
  const pos = new Map(symbols.map((s) => [s, 0]));
  const t0 = Date.parse("2026-01-05T14:30:00Z");
  let t = t0;
  const at = () => new Date((t += 1000)).toISOString();
  const quote = (symbol: string) => {
    const mid = price.get(symbol)!;
    return {
      at: at(),
      type: "quote" as const,
      symbol,
      bid: cents(mid - 1),
      ask: cents(mid + 1),
    };
  };
  const faults = [
    "error_before_accept",
    "timeout_after_accept",
    "reject",
    "duplicate_events",
    "drop_events",
  ] as const;
  const events: Record<string, unknown>[] = symbols.map(quote);
  // Every tenth follower gets a fault of one kind before the first fill.
  for (let f = 0; f < nFollowers; f += 10)
    events.push({
      at: at(),
      type: "fault",
      account: `F${f}`,
      fault: faults[(f / 10) % faults.length],
      count: 2,
    });
  for (let i = 0; i < nFills; i++) {
    const symbol = symbols[Math.floor(rng.next() * symbols.length)]!;
    // A random walk of the price, and a leader who mostly adds and sometimes reduces.
    price.set(symbol, Math.max(500, price.get(symbol)! + Math.round((rng.next() - 0.5) * 200)));
    events.push(quote(symbol));
    const held = pos.get(symbol)!;
    const side = held > 0 && rng.next() < 0.35 ? "sell" : "buy";
    const qty =
      side === "sell" ? Math.max(1, Math.floor(held / 2)) : 10 + Math.floor(rng.next() * 90);
    pos.set(symbol, held + (side === "buy" ? qty : -qty));
    events.push({
      at: at(),
      type: "leader_fill",
      fillId: `f-${i}`,
      orderId: `o-${i}`,
      symbol,
      side,
      qty: String(qty),
      price: cents(price.get(symbol)!),
    });
    if (i === Math.floor(nFills / 2)) events.push({ at: at(), type: "reconcile" });
  }
  return parseScenario({
    name: `bench ${nFollowers} followers x ${nFills} fills`,
    instruments: symbols.map((symbol) => shareSpec(symbol)),
    leader: { id: "L", cash: "1000000" },
    followers: Array.from({ length: nFollowers }, (_, f) => ({
      id: `F${f}`,
      cash: "100000",
      copy: {
        sizing:
          f % 3 === 0
            ? { mode: "proportional", allocation: String(20000 + 1000 * (f % 50)) }
            : f % 3 === 1
              ? { mode: "multiplier", factor: "0.05" }
              : { mode: "fixed_notional", notional: "5000" },
        risk: { maxSymbolExposure: "30000", maxOpenPositions: 3, maxSlippageBps: 200 },
        onInsufficientFunds: f % 2 ? "reduce" : "skip",
      },
    })),
    events,
  });
}
