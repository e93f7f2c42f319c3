import { and, eq, inArray, sql } from "drizzle-orm";
import { instruments, leaderBooks, leaderPositions, quotes } from "../../../db/schema";
import { D, type Decimal } from "../../domain/money";
import type { Executor } from "../core/streams";

/**
 * Leader equity as sizing needs it: cash plus positions at the latest quote mids
 * (replay-format.md, "Ratio"). A symbol without a quote is valued at its average fill
 * price of record: the last price we know, never zero.
 */
export async function leaderEquity(db: Executor, leaderId: string): Promise<Decimal> {
  const [book] = await db.select().from(leaderBooks).where(eq(leaderBooks.leaderId, leaderId));
  let equity = D(book?.cash ?? 0);
  const held = await db
    .select({ symbol: leaderPositions.symbol, qty: leaderPositions.qty })
    .from(leaderPositions)
    .where(and(eq(leaderPositions.leaderId, leaderId), sql`${leaderPositions.qty} <> 0`));
  if (held.length === 0) return equity;
  const symbols = held.map((h) => h.symbol);
  const q = await db.select().from(quotes).where(inArray(quotes.symbol, symbols));
  const inst = await db
    .select({ symbol: instruments.symbol, multiplier: instruments.multiplier })
    .from(instruments)
    .where(inArray(instruments.symbol, symbols));
  const mids = new Map(q.map((x) => [x.symbol, D(x.bid).plus(x.ask).div(2)]));
  const mult = new Map(inst.map((i) => [i.symbol, D(i.multiplier)]));
  for (const h of held) {
    const mid = mids.get(h.symbol) ?? (await lastLeaderPrice(db, leaderId, h.symbol));
    equity = equity.plus(
      D(h.qty)
        .times(mid)
        .times(mult.get(h.symbol) ?? 1),
    );
  }
  return equity;
}

async function lastLeaderPrice(db: Executor, leaderId: string, symbol: string): Promise<Decimal> {
  const rows = await db.execute<{ price: string }>(
    sql`select price from leader_fills where leader_id = ${leaderId} and symbol = ${symbol} order by event_seq desc limit 1`,
  );
  return D(rows[0]?.price ?? 0);
}

export async function ensureLeaderBook(
  db: Executor,
  leaderId: string,
  cash: string,
  at: Date,
): Promise<void> {
  await db.insert(leaderBooks).values({ leaderId, cash, updatedAt: at }).onConflictDoNothing();
}
