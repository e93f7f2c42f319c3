import { D, fmt, quantizeTowardZero, type Decimal } from "../domain/money";
import type { Rng } from "../domain/random";

/**
 * Plausible trading history for a demo leader, generated from daily closes. Each style is a
 * simple rule (momentum, mean reversion, swing) with randomness, so the leaders' numbers
 * differ the way real leaders' do. Everything is closed on the last day so that the broker's
 * books start the live demo flat.
 */
export type LeaderStyle = {
  symbols: string[];
  /** Fraction of equity put into one position. */
  positionFraction: string;
  rule: "momentum" | "mean_reversion" | "swing";
  allowShort: boolean;
  openProbability: number;
  maxHoldDays: number;
};

export type DailyBar = { day: Date; close: string };
export type InstrumentSpec = {
  symbol: string;
  qtyStep: string;
  multiplier: string;
  commissionPerUnit: string;
};
export type HistoryFill = {
  at: Date;
  symbol: string;
  side: "buy" | "sell";
  qty: string;
  price: string;
  positionAfter: string;
  fee: string;
};
export type HistorySnapshot = { day: string; equity: string };

export function generateHistory(input: {
  style: LeaderStyle;
  startCash: string;
  bars: Map<string, DailyBar[]>;
  instruments: Map<string, InstrumentSpec>;
  rng: Rng;
}): { fills: HistoryFill[]; snapshots: HistorySnapshot[]; endCash: string } {
  const { style, rng } = input;
  let cash = D(input.startCash);
  const pos = new Map<string, { qty: Decimal; openedIdx: number }>();
  const fills: HistoryFill[] = [];
  const snapshots: HistorySnapshot[] = [];
  // The calendar is the first symbol's trading days; other symbols trade on the days they share.
  const calendar = (input.bars.get(style.symbols[0]!) ?? []).map((b) => b.day);
  const days = calendar.length;
  const closeOn = new Map<string, Map<number, string>>();
  for (const symbol of style.symbols) {
    closeOn.set(
      symbol,
      new Map((input.bars.get(symbol) ?? []).map((b) => [b.day.getTime(), b.close])),
    );
  }
  const lastClose = new Map<string, string>();
  const closeAt = (symbol: string, i: number): string | undefined =>
    closeOn.get(symbol)!.get(calendar[i]!.getTime());

  const trade = (idx: number, symbol: string, signedQty: Decimal, price: Decimal) => {
    const spec = input.instruments.get(symbol)!;
    const prev = pos.get(symbol)?.qty ?? D(0);
    const after = prev.plus(signedQty);
    const fee = signedQty.abs().times(spec.commissionPerUnit);
    cash = cash.minus(signedQty.times(price).times(spec.multiplier)).minus(fee);
    if (after.isZero()) pos.delete(symbol);
    else
      pos.set(symbol, {
        qty: after,
        openedIdx: prev.isZero() ? idx : (pos.get(symbol)?.openedIdx ?? idx),
      });
    // Fills land during the session: between 14:35 and 20:55 UTC of that day.
    const at = new Date(calendar[idx]!.getTime() + (14 * 60 + 35 + rng.int(0, 380)) * 60_000);
    fills.push({
      at,
      symbol,
      side: signedQty.isPos() ? "buy" : "sell",
      qty: fmt(signedQty.abs()),
      price: fmt(price),
      positionAfter: fmt(after),
      fee: fmt(fee),
    });
  };

  for (let i = 0; i < days; i++) {
    const equityNow = equityAt(i);
    for (const symbol of style.symbols) {
      const close = closeAt(symbol, i);
      if (close === undefined) continue;
      lastClose.set(symbol, close);
      if (i < 5) continue;
      const price = D(close);
      const held = pos.get(symbol);
      const last = i === days - 1;
      if (held) {
        const heldDays = i - held.openedIdx;
        if (last || heldDays >= style.maxHoldDays || rng.next() < 0.12)
          trade(i, symbol, held.qty.neg(), price);
        continue;
      }
      if (last || rng.next() > style.openProbability) continue;
      const window = calendar
        .slice(i - 20, i)
        .map((d) => closeOn.get(symbol)!.get(d.getTime()))
        .filter((c) => c !== undefined);
      if (window.length < 5) continue;
      const ma = window.reduce((sum, c) => sum.plus(c), D(0)).div(window.length);
      const above = price.gt(ma);
      let direction = 0;
      if (style.rule === "momentum") direction = above ? 1 : style.allowShort ? -1 : 0;
      else if (style.rule === "mean_reversion") direction = above ? (style.allowShort ? -1 : 0) : 1;
      else direction = rng.next() < 0.6 ? 1 : style.allowShort ? -1 : 1;
      if (direction === 0) continue;
      const spec = input.instruments.get(symbol)!;
      const budget = equityNow.times(style.positionFraction);
      const qty = quantizeTowardZero(budget.div(price.times(spec.multiplier)), spec.qtyStep);
      if (qty.lte(0)) continue;
      trade(i, symbol, direction > 0 ? qty : qty.neg(), price);
    }
    if (i === days - 1) {
      // A symbol without a bar on the last day still ends flat, at its last close.
      for (const [symbol, p] of [...pos])
        trade(i, symbol, p.qty.neg(), D(lastClose.get(symbol) ?? "0"));
    }
    snapshots.push({ day: calendar[i]!.toISOString().slice(0, 10), equity: fmt(equityAt(i)) });
  }
  return { fills, snapshots, endCash: fmt(cash) };

  function equityAt(i: number): Decimal {
    let e = cash;
    for (const [symbol, p] of pos) {
      const spec = input.instruments.get(symbol)!;
      e = e.plus(
        p.qty.times(closeAt(symbol, i) ?? lastClose.get(symbol) ?? "0").times(spec.multiplier),
      );
    }
    return e;
  }
}
