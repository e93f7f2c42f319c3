import { and, eq, inArray, sql } from "drizzle-orm";
import { instruments, leaderBooks, leaderPositions, quotes } from "../../../db/schema";
import { D, type Decimal } from "../../domain/money";
import { bookEquity, type ValuationBasis } from "../../domain/valuation";
import type { Executor } from "../core/streams";

/**
 * A leader's equity: the leader book's cash (after commissions) plus positions, valued by
 * the one valuation (domain/valuation.ts). `mid` is what sizing uses (replay-format.md,
 * "Ratio"); `exit` is what performance uses, as for every copy and account. A symbol
 * without a quote is valued at the leader's last fill price in it, never zero.
 */
export async function leaderEquity(
  db: Executor,
  leaderId: string,
  basis: ValuationBasis = "mid",
): Promise<Decimal> {
  const [book] = await db.select().from(leaderBooks).where(eq(leaderBooks.leaderId, leaderId));
  const held = await db
    .select({ symbol: leaderPositions.symbol, qty: leaderPositions.qty })
    .from(leaderPositions)
    .where(and(eq(leaderPositions.leaderId, leaderId), sql`${leaderPositions.qty} <> 0`));
  if (held.length === 0) return D(book?.cash ?? 0);
  const symbols = held.map((h) => h.symbol);
  const q = await db.select().from(quotes).where(inArray(quotes.symbol, symbols));
  const inst = await db
    .select({ symbol: instruments.symbol, multiplier: instruments.multiplier })
    .from(instruments)
    .where(inArray(instruments.symbol, symbols));
  const last = await db.execute<{ symbol: string; price: string }>(sql`
    select distinct on (symbol) symbol, price from leader_fills
     where leader_id = ${leaderId} and symbol in ${symbols}
     order by symbol, event_seq desc`);
  const lastPrice = new Map(last.map((r) => [r.symbol, r.price]));
  return bookEquity({
    cash: book?.cash ?? 0,
    positions: held.map((h) => ({ ...h, lastPrice: lastPrice.get(h.symbol) ?? 0 })),
    quotes: new Map(q.map((x) => [x.symbol, x])),
    multipliers: new Map(inst.map((i) => [i.symbol, i.multiplier])),
    basis,
  });
}

export async function ensureLeaderBook(
  db: Executor,
  leaderId: string,
  cash: string,
  at: Date,
): Promise<void> {
  await db.insert(leaderBooks).values({ leaderId, cash, updatedAt: at }).onConflictDoNothing();
}
