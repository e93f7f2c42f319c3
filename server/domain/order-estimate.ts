import type { Decimal } from "decimal.js";
import { D } from "./money";

/**
 * What an order would cost (a buy) or bring in (a sell): price × quantity × multiplier, and the
 * commission on top or taken off. The price is the limit when there is one, else the side of
 * the quote the order would meet (a buy pays the ask, a sell gets the bid). One rule, used by
 * the trade ticket in the browser (refusing before anything is sent) and by the server when it
 * records a person's order, so the two can never disagree about buying power.
 */
export function orderEstimate(
  i: { multiplier: string; commissionPerUnit: string; bid: string | null; ask: string | null },
  side: "buy" | "sell",
  qty: Decimal.Value,
  limitPrice?: Decimal.Value | null,
): { price: Decimal; gross: Decimal; fee: Decimal; total: Decimal } | null {
  const quoted = side === "buy" ? i.ask : i.bid;
  const raw = limitPrice ?? quoted;
  if (raw === null || raw === undefined) return null;
  const price = D(raw);
  const q = D(qty);
  const gross = q.times(price).times(i.multiplier);
  const fee = q.times(i.commissionPerUnit);
  return { price, gross, fee, total: side === "buy" ? gross.plus(fee) : gross.minus(fee) };
}
