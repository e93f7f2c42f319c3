import { D, ZERO, fmt, minDec, type Decimal } from "./money";
import type { ClosedTrade } from "./metrics";

export type FillLike = {
  symbol: string;
  side: "buy" | "sell";
  qty: string;
  price: string;
  at: Date;
  /** Commission on this fill (already known), or computed from the instrument's schedule. */
  fee?: string;
};

/**
 * Round trips from a fill history, for the metrics module's trade statistics (win rate,
 * frequency, holding time, instrument focus). A trade opens when the position leaves flat
 * and closes when it returns to flat; a flip (long to short) closes one trade and opens
 * another. P&L is realized on the average-cost method, net of the fills' commissions, so a
 * break-even trade after fees counts as a loss. Fills must be in time order.
 */
export function closedTradesFromFills(
  fills: readonly FillLike[],
  spec: (symbol: string) => { multiplier: string; commissionPerUnit: string },
): ClosedTrade[] {
  type Open = { qty: Decimal; avg: Decimal; openedAt: Date; pnl: Decimal };
  const open = new Map<string, Open>();
  const out: ClosedTrade[] = [];
  for (const f of fills) {
    const s = spec(f.symbol);
    const mult = D(s.multiplier);
    const q = f.side === "buy" ? D(f.qty) : D(f.qty).neg();
    const price = D(f.price);
    const fee = f.fee !== undefined ? D(f.fee) : D(f.qty).times(s.commissionPerUnit);
    const cur = open.get(f.symbol);
    if (!cur || cur.qty.isZero()) {
      open.set(f.symbol, { qty: q, avg: price, openedAt: f.at, pnl: fee.neg() });
      continue;
    }
    if (cur.qty.isPos() === q.isPos()) {
      const qty = cur.qty.plus(q);
      cur.avg = cur.avg.times(cur.qty).plus(price.times(q)).div(qty);
      cur.qty = qty;
      cur.pnl = cur.pnl.minus(fee);
      continue;
    }
    const closing = minDec(q.abs(), cur.qty.abs());
    const dir = cur.qty.isPos() ? 1 : -1;
    const share = q.abs().isZero() ? ZERO : closing.div(q.abs());
    cur.pnl = cur.pnl
      .plus(price.minus(cur.avg).times(closing).times(dir).times(mult))
      .minus(fee.times(share));
    const after = cur.qty.plus(q);
    if (after.isZero() || after.isPos() !== cur.qty.isPos()) {
      out.push({ openedAt: cur.openedAt, closedAt: f.at, symbol: f.symbol, pnl: fmt(cur.pnl) });
      if (after.isZero()) open.delete(f.symbol);
      else
        open.set(f.symbol, {
          qty: after,
          avg: price,
          openedAt: f.at,
          pnl: fee.times(D(1).minus(share)).neg(),
        });
    } else {
      cur.qty = after;
    }
  }
  return out;
}
