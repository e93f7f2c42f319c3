import { and, eq, sql } from "drizzle-orm";
import { instruments, leaderPositions, leaders, quotes } from "../../db/schema";
import { DEMO_LEADERS } from "./seed";
import { D, fmt, quantizeTowardZero } from "../domain/money";
import type { Rng } from "../domain/random";
import type { EngineDeps } from "../engine/deps";
import { placeManualOrder } from "../engine/execute/manual-orders";
import { isMarketOpen } from "../market/hours";

/**
 * Keeps the demo world alive: now and then one demo leader trades one of their usual
 * instruments through the same order path as a person's trade ticket. Only markets that
 * are open are traded, so at night it is mostly crypto, FX and futures.
 */
export async function demoLeaderTrade(deps: EngineDeps, rng: Rng): Promise<string | null> {
  const demo = rng.pick(DEMO_LEADERS);
  const [leader] = await deps.db.select().from(leaders).where(eq(leaders.handle, demo.handle));
  if (!leader) return null;
  const now = deps.clock.now();
  const candidates = await deps.db
    .select({ inst: instruments, bid: quotes.bid, ask: quotes.ask })
    .from(instruments)
    .innerJoin(quotes, eq(quotes.symbol, instruments.symbol))
    .where(sql`${instruments.symbol} in ${demo.style.symbols}`);
  const open = candidates.filter((c) => isMarketOpen(c.inst, now));
  if (open.length === 0) return null;
  const pick = rng.pick(open);
  const [pos] = await deps.db
    .select()
    .from(leaderPositions)
    .where(
      and(eq(leaderPositions.leaderId, leader.id), eq(leaderPositions.symbol, pick.inst.symbol)),
    );
  const held = D(pos?.qty ?? 0);
  const mid = D(pick.bid).plus(pick.ask).div(2);
  let side: "buy" | "sell";
  let qty;
  if (!held.isZero() && rng.next() < 0.5) {
    side = held.isPos() ? "sell" : "buy";
    qty = held.abs();
  } else {
    side = rng.next() < 0.7 || !demo.style.allowShort ? "buy" : "sell";
    const budget = D(demo.cash).times(demo.style.positionFraction).times(0.25);
    qty = quantizeTowardZero(budget.div(mid.times(pick.inst.multiplier)), pick.inst.qtyStep);
  }
  if (qty.lt(pick.inst.minQty) || qty.isZero()) return null;
  const placed = await placeManualOrder(deps, {
    brokerAccountId: leader.brokerAccountId,
    userId: leader.userId,
    symbol: pick.inst.symbol,
    side,
    type: "market",
    qty: fmt(qty),
  });
  return placed.clientOrderId;
}
