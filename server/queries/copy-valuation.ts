import "server-only";
import { inArray } from "drizzle-orm";
import type { Db } from "../../db/client";
import { instruments, quotes } from "../../db/schema";
import { fmt, ZERO } from "../domain/money";
import { copyPnl } from "../domain/valuation";

/** Quotes, multipliers and instrument specs for the symbols a copy page values. */
export async function marks(db: Db, symbols: string[]) {
  if (symbols.length === 0)
    return {
      quotes: new Map(),
      mult: new Map<string, string>(),
      specs: new Map<string, typeof instruments.$inferSelect>(),
    };
  const qs = await db.select().from(quotes).where(inArray(quotes.symbol, symbols));
  const specs = await db.select().from(instruments).where(inArray(instruments.symbol, symbols));
  return {
    quotes: new Map(qs.map((q) => [q.symbol, q])),
    mult: new Map(specs.map((i) => [i.symbol, i.multiplier])),
    specs: new Map(specs.map((i) => [i.symbol, i])),
  };
}

/** The P&L split the follower sees, from the engine's own valuation (longs at bid, shorts at ask). */
export function pnlParts(
  held: Array<{ symbol: string; qty: string; avgCost: string; realizedPnl: string; fees: string }>,
  m: { quotes: Map<string, { bid: string; ask: string }>; mult: Map<string, string> },
) {
  const total = copyPnl(held, m.quotes, m.mult);
  const unrealized = copyPnl(
    held.map((h) => ({ ...h, realizedPnl: "0", fees: "0" })),
    m.quotes,
    m.mult,
  );
  const realized = held.reduce((a, h) => a.plus(h.realizedPnl), ZERO);
  const fees = held.reduce((a, h) => a.plus(h.fees), ZERO);
  return {
    total: fmt(total),
    unrealized: fmt(unrealized),
    realized: fmt(realized),
    fees: fmt(fees),
  };
}
