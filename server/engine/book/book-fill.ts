import type { orders } from "../../../db/schema";
import type { Tx } from "../core/streams";
import { bookFillsBatch } from "./book-fills-batch";

export type IncomingFill = {
  tradeId: string;
  qty: string;
  price: string;
  commission: string;
  at: Date;
  /**
   * The broker's id of the order, when the fill report carries it: booking records it on the
   * order, so an order filled in the submission's answer needs no separate acceptance write.
   */
  brokerOrderId?: string;
};
type OrderRow = typeof orders.$inferSelect;

/**
 * Books one broker fill, exactly once per (account, trade id): the fill row, the order's
 * filled quantity and state, the account position and the copy's share of it, cash, and
 * the ledger journal — all in the caller's transaction, with the event. It is the batch
 * path with a batch of one: one loader, one bookkeeping core (domain/bookkeeping.ts), one
 * writer, so the two cannot diverge. Returns false when the trade id was already booked.
 */
export async function bookFill(
  tx: Tx,
  order: OrderRow,
  f: IncomingFill,
  now: Date,
): Promise<boolean> {
  const n = await bookFillsBatch(
    tx,
    [{ brokerAccountId: order.brokerAccountId, clientOrderId: order.clientOrderId, fill: f }],
    now,
  );
  return n > 0;
}
