import { fxAdd, fxDecimal, fxHalf, fxMul, fxSign, fxSub, fx, FX_ZERO, type Fixed } from "./fixed";
import type { Decimal } from "./money";

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
 *
 * The rule is written once, in `valuer`, on exact scaled integers (fixed.ts): the loops
 * value 10 000 copies per quote, and parsing each quote and multiplier once per batch
 * instead of once per copy is most of the saving (ADR 0045, session 4). `copyPnl`,
 * `bookEquity` and `markPrice` are thin Decimal wrappers of it for every other caller.
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

type ParsedQuote = { bid: Fixed; ask: Fixed };

/** The price one position is valued at: the whole rule of which price, on parsed values. */
function mark(qty: Fixed, quote: ParsedQuote | undefined, basis: ValuationBasis, last: Fixed) {
  if (!quote) return last;
  if (basis === "mid") return fxHalf(fxAdd(quote.bid, quote.ask));
  return fxSign(qty) < 0 ? quote.ask : quote.bid;
}

export type Valuer = {
  /** Realized plus unrealized P&L minus fees, at exit prices (see `copyPnl`). */
  copyPnl(positions: readonly HeldPosition[]): Fixed;
  /** Cash plus positions at market (see `bookEquity`). */
  bookEquity(
    cash: Decimal.Value,
    positions: readonly { symbol: string; qty: Decimal.Value; lastPrice: Decimal.Value }[],
    basis?: ValuationBasis,
  ): Fixed;
};

/**
 * The valuation against one set of quotes and multipliers, for valuing many books: each
 * quote, multiplier and last price is parsed once, on first use.
 */
export function valuer(
  quotes: ReadonlyMap<string, Quote>,
  multipliers: ReadonlyMap<string, Decimal.Value>,
  lastPrices: ReadonlyMap<string, Decimal.Value> = new Map(),
): Valuer {
  const q = new Map<string, ParsedQuote | undefined>();
  const m = new Map<string, Fixed>();
  const l = new Map<string, Fixed | undefined>();
  const quoteOf = (symbol: string) => {
    if (q.has(symbol)) return q.get(symbol);
    const raw = quotes.get(symbol);
    const parsed = raw ? { bid: fx(raw.bid), ask: fx(raw.ask) } : undefined;
    q.set(symbol, parsed);
    return parsed;
  };
  const multOf = (symbol: string) => {
    let x = m.get(symbol);
    if (!x) m.set(symbol, (x = fx(multipliers.get(symbol) ?? 1)));
    return x;
  };
  const lastOf = (symbol: string) => {
    if (l.has(symbol)) return l.get(symbol);
    const raw = lastPrices.get(symbol);
    const parsed = raw === undefined ? undefined : fx(raw);
    l.set(symbol, parsed);
    return parsed;
  };
  return {
    copyPnl(positions) {
      let pnl = FX_ZERO;
      for (const p of positions) {
        pnl = fxSub(fxAdd(pnl, fx(p.realizedPnl)), fx(p.fees));
        const qty = fx(p.qty);
        if (qty.n === 0n) continue;
        const avg = fx(p.avgCost);
        const exit = mark(qty, quoteOf(p.symbol), "exit", lastOf(p.symbol) ?? avg);
        pnl = fxAdd(pnl, fxMul(fxMul(fxSub(exit, avg), qty), multOf(p.symbol)));
      }
      return pnl;
    },
    bookEquity(cash, positions, basis = "exit") {
      let equity = fx(cash);
      for (const p of positions) {
        const qty = fx(p.qty);
        if (qty.n === 0n) continue;
        const price = mark(qty, quoteOf(p.symbol), basis, fx(p.lastPrice));
        equity = fxAdd(equity, fxMul(fxMul(qty, price), multOf(p.symbol)));
      }
      return equity;
    },
  };
}

/** The price one position is valued at. */
export function markPrice(
  qty: Decimal.Value,
  quote: Quote | undefined,
  basis: ValuationBasis,
  lastPrice: Decimal.Value,
): Decimal {
  return fxDecimal(
    mark(fx(qty), quote && { bid: fx(quote.bid), ask: fx(quote.ask) }, basis, fx(lastPrice)),
  );
}

/** Cash plus positions at market: a leader's book or an account. */
export function bookEquity(input: {
  cash: Decimal.Value;
  positions: readonly { symbol: string; qty: Decimal.Value; lastPrice: Decimal.Value }[];
  quotes: ReadonlyMap<string, Quote>;
  multipliers: ReadonlyMap<string, Decimal.Value>;
  basis?: ValuationBasis;
}): Decimal {
  return fxDecimal(
    valuer(input.quotes, input.multipliers).bookEquity(input.cash, input.positions, input.basis),
  );
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
  return fxDecimal(valuer(quotes, multipliers, lastPrices).copyPnl(positions));
}
