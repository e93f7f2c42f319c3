/*
 * Parts of replay scenarios (docs: /work/shared/replay-format.md) that the engine's tests
 * build by hand: one US share with a commission per unit, a quote and a leader fill. One
 * place, so a scenario written for one test reads like one written for another.
 */

/** A share as the scenarios list it: whole shares, cents, half a cent of commission a share. */
export const shareSpec = (symbol: string, multiplier = "1") => ({
  symbol,
  currency: "USD",
  tickSize: "0.01",
  qtyStep: "1",
  minQty: "1",
  minNotional: "1",
  multiplier,
  commissionPerUnit: "0.005",
});

export const AAPL_SPEC = shareSpec("AAPL");

/** A quote event. */
export const quoteEvent = (at: string, bid: string, ask: string, symbol = "AAPL") => ({
  at,
  type: "quote" as const,
  symbol,
  bid,
  ask,
});

/** The leader's fill number `n` (fill `f-n` of order `o-n`). */
export const leaderFillEvent = (
  at: string,
  n: number,
  side: "buy" | "sell",
  qty: string,
  price: string,
  symbol = "AAPL",
) => ({
  at,
  type: "leader_fill" as const,
  fillId: `f-${n}`,
  orderId: `o-${n}`,
  symbol,
  side,
  qty,
  price,
});
