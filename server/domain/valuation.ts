import { D, ZERO, type Decimal } from "./money";

/*
 * One valuation for leaders, copies and accounts (DESIGN.md, "One rule, one place").
 *
 * - `exit` (the default for every performance number: equity snapshots, returns, the copy
 *   stop-loss, the daily loss, fees): longs at the bid, shorts at the ask — what closing
 *   would actually get. Leaders and followers are valued the same way, so a 1:1 copier's
 *   return differs from the leader's only by what really differed.
 * - `mid`: only for the proportional ratio, which replay-format.md fixes at quote mids.
 *
 * A symbol without a quote is valued at its last known price (the last fill, else the
 * average cost), never at zero. docs/adr/0005-one-valuation.md says why.
 */

export type Quote = { bid: Decimal.Value; ask: Decimal.Value };
export type ValuationBasis = "exit" | "mid";

export type HeldPosition = {
  symbol: string;
  qty: string;
  avgCost: string;
  realizedPnl: string;
  fees: string;
};

/** The price one position is valued at. */
export function markPrice(
  qty: Decimal.Value,
  quote: Quote | undefined,
  basis: ValuationBasis,
  lastPrice: Decimal.Value,
): Decimal {
  if (!quote) return D(lastPrice);
  if (basis === "mid") return D(quote.bid).plus(quote.ask).div(2);
  return D(qty).isNeg() ? D(quote.ask) : D(quote.bid);
}

/** Cash plus positions at market: a leader's book or an account. */
export function bookEquity(input: {
  cash: Decimal.Value;
  positions: readonly { symbol: string; qty: Decimal.Value; lastPrice: Decimal.Value }[];
  quotes: ReadonlyMap<string, Quote>;
  multipliers: ReadonlyMap<string, Decimal.Value>;
  basis?: ValuationBasis;
}): Decimal {
  let equity = D(input.cash);
  for (const p of input.positions) {
    const qty = D(p.qty);
    if (qty.isZero()) continue;
    const price = markPrice(qty, input.quotes.get(p.symbol), input.basis ?? "exit", p.lastPrice);
    equity = equity.plus(qty.times(price).times(input.multipliers.get(p.symbol) ?? 1));
  }
  return equity;
}

/**
 * A copy's P&L: realized plus unrealized minus fees, at exit prices. Used by the copy
 * stop-loss, the daily loss limit, fees and every page, so they all agree.
 */
export function copyPnl(
  positions: readonly HeldPosition[],
  quotes: ReadonlyMap<string, Quote>,
  multipliers: ReadonlyMap<string, Decimal.Value>,
  lastPrices: ReadonlyMap<string, Decimal.Value> = new Map(),
): Decimal {
  let pnl = ZERO;
  for (const p of positions) {
    pnl = pnl.plus(p.realizedPnl).minus(p.fees);
    const qty = D(p.qty);
    if (qty.isZero()) continue;
    const exit = markPrice(
      qty,
      quotes.get(p.symbol),
      "exit",
      lastPrices.get(p.symbol) ?? p.avgCost,
    );
    pnl = pnl.plus(
      exit
        .minus(p.avgCost)
        .times(qty)
        .times(multipliers.get(p.symbol) ?? "1"),
    );
  }
  return pnl;
}
