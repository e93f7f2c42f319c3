import { and, desc, eq, inArray, type SQL } from "drizzle-orm";
import type { Db } from "../../db/client";
import { candles, quotes } from "../../db/schema/instruments";
import { D, fmt } from "../domain/money";

export type LatestPrice = {
  symbol: string;
  /** Mid of the latest quote, else the last daily close. Exact decimal (a mid may be half a tick). */
  price: string;
  bid: string | null;
  ask: string | null;
  /** Quote time, or the open time (UTC midnight) of the daily candle whose close is used. */
  at: Date;
  source: "quote" | "daily_close";
};

/**
 * The latest known price per symbol: the stored quote when there is one (the feed keeps it
 * current), else the close of the last daily candle (after a backfill, before the feed runs,
 * or while a market has never been quoted). Symbols with neither are absent from the map.
 */
export async function latestPrices(
  db: Db,
  symbols?: readonly string[],
): Promise<Map<string, LatestPrice>> {
  const out = new Map<string, LatestPrice>();
  if (symbols && symbols.length === 0) return out;
  const qRows = await db
    .select()
    .from(quotes)
    .where(symbols ? inArray(quotes.symbol, [...symbols]) : undefined);
  for (const q of qRows) {
    out.set(q.symbol, {
      symbol: q.symbol,
      price: fmt(D(q.bid).plus(q.ask).div(2)),
      bid: q.bid,
      ask: q.ask,
      at: q.at,
      source: "quote",
    });
  }
  const missing = symbols ? symbols.filter((s) => !out.has(s)) : null;
  if (missing && missing.length === 0) return out;
  const conds: SQL[] = [eq(candles.interval, "1d")];
  if (missing) conds.push(inArray(candles.symbol, missing));
  const cRows = await db
    .selectDistinctOn([candles.symbol], {
      symbol: candles.symbol,
      close: candles.close,
      openTime: candles.openTime,
    })
    .from(candles)
    .where(and(...conds))
    .orderBy(candles.symbol, desc(candles.openTime));
  for (const c of cRows) {
    if (!out.has(c.symbol))
      out.set(c.symbol, {
        symbol: c.symbol,
        price: c.close,
        bid: null,
        ask: null,
        at: c.openTime,
        source: "daily_close",
      });
  }
  return out;
}
