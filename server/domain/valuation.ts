import { D, ZERO, type Decimal } from "./money";

export type HeldPosition = {
  symbol: string;
  qty: string;
  avgCost: string;
  realizedPnl: string;
  fees: string;
};
export type Quote = { bid: string; ask: string };

/**
 * A copy's P&L: realized plus unrealized minus fees, longs valued at the bid and shorts at
 * the ask (what closing would actually get). Used by the copy stop-loss and the daily loss
 * limit, and shown to the follower, so all three agree.
 */
export function copyPnl(
  positions: readonly HeldPosition[],
  quotes: ReadonlyMap<string, Quote>,
  multipliers: ReadonlyMap<string, string>,
): Decimal {
  let pnl = ZERO;
  for (const p of positions) {
    pnl = pnl.plus(p.realizedPnl).minus(p.fees);
    const qty = D(p.qty);
    if (qty.isZero()) continue;
    const q = quotes.get(p.symbol);
    if (!q) continue; // no market yet: unrealized counts as zero rather than a guess
    const exit = qty.isPos() ? D(q.bid) : D(q.ask);
    pnl = pnl.plus(
      exit
        .minus(p.avgCost)
        .times(qty)
        .times(multipliers.get(p.symbol) ?? "1"),
    );
  }
  return pnl;
}
