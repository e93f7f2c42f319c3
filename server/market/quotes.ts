import { sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { quotes } from "../../db/schema/instruments";

/** A top-of-book quote; prices are decimal strings on the instrument's tick, bid < ask. */
export type Quote = { symbol: string; bid: string; ask: string; at: Date };

/** A consumer of published quotes (the paper broker's `onQuote`, the candle recorder, …). */
export type QuoteSink = (q: Quote) => Promise<void>;

/**
 * Upserts the latest quote per symbol in one statement. An older quote never overwrites a
 * newer one, so a delayed writer cannot move the market backwards.
 */
export async function upsertQuotes(db: Db, qs: readonly Quote[]): Promise<void> {
  if (qs.length === 0) return;
  // One row per symbol: Postgres refuses to update the same row twice in one INSERT … ON CONFLICT.
  const latest = new Map<string, Quote>();
  for (const q of qs) {
    const prev = latest.get(q.symbol);
    if (!prev || prev.at.getTime() <= q.at.getTime()) latest.set(q.symbol, q);
  }
  await db
    .insert(quotes)
    .values(
      [...latest.values()].map((q) => ({ symbol: q.symbol, bid: q.bid, ask: q.ask, at: q.at })),
    )
    .onConflictDoUpdate({
      target: quotes.symbol,
      set: { bid: sql`excluded.bid`, ask: sql`excluded.ask`, at: sql`excluded.at` },
      setWhere: sql`${quotes.at} <= excluded.at`,
    });
}
