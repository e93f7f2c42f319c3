import type { paperFills, paperOrders } from "../../../db/schema/paper-broker";
import type { BrokerFill, BrokerOrder, BrokerOrderEvent, BrokerOrderStatus, Side } from "../types";

/** Conversions between the paper tables and the seam's types. */

export type OrderRow = typeof paperOrders.$inferSelect;
export type FillRow = typeof paperFills.$inferSelect;

export const OPEN_STATUSES: BrokerOrderStatus[] = ["accepted", "partially_filled"];

export function isOpen(status: string): boolean {
  return status === "accepted" || status === "partially_filled";
}

/** Zero-padded so ids sort in creation order as plain text. */
export function seqId(prefix: string, accountId: string, seq: number): string {
  return `${prefix}-${accountId}-${String(seq).padStart(10, "0")}`;
}

export function toOrder(r: OrderRow): BrokerOrder {
  return {
    brokerOrderId: r.id,
    clientOrderId: r.clientOrderId,
    accountId: r.accountId,
    symbol: r.symbol,
    side: r.side,
    type: r.type,
    qty: r.qty,
    limitPrice: r.limitPrice,
    status: r.status as BrokerOrderStatus,
    filledQty: r.filledQty,
    avgPrice: r.avgPrice,
    rejectReason: r.rejectReason,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

export function toFill(
  f: FillRow,
  o: Pick<OrderRow, "clientOrderId" | "symbol" | "side">,
): BrokerFill {
  return {
    tradeId: f.tradeId,
    brokerOrderId: f.orderId,
    clientOrderId: o.clientOrderId,
    accountId: f.accountId,
    symbol: o.symbol,
    side: o.side as Side,
    qty: f.qty,
    price: f.price,
    commission: f.commission,
    at: f.at,
  };
}

type FillJson = Omit<BrokerFill, "at"> & { at: string };
type EventJson = Omit<BrokerOrderEvent, "at" | "fill"> & { at: string; fill?: FillJson };

export function eventToJson(e: BrokerOrderEvent): Record<string, unknown> {
  // Built field by field (no spread and `delete`, which leave a slow dictionary object for
  // JSON.stringify: this runs for every event of a batch).
  const json: EventJson = {
    seq: e.seq,
    accountId: e.accountId,
    type: e.type,
    clientOrderId: e.clientOrderId,
    brokerOrderId: e.brokerOrderId,
    symbol: e.symbol,
    side: e.side,
    filledQty: e.filledQty,
    at: e.at.toISOString(),
  };
  if (e.reason !== undefined) json.reason = e.reason;
  if (e.fill) json.fill = { ...e.fill, at: e.fill.at.toISOString() };
  return json;
}

/** Rebuilt field by field so two streams compare equal whatever jsonb did to key order. */
export function eventFromJson(raw: Record<string, unknown>): BrokerOrderEvent {
  const j = raw as unknown as EventJson;
  const e: BrokerOrderEvent = {
    seq: j.seq,
    accountId: j.accountId,
    type: j.type,
    clientOrderId: j.clientOrderId,
    brokerOrderId: j.brokerOrderId,
    symbol: j.symbol,
    side: j.side,
    filledQty: j.filledQty,
    at: new Date(j.at),
  };
  if (j.fill) {
    e.fill = {
      tradeId: j.fill.tradeId,
      brokerOrderId: j.fill.brokerOrderId,
      clientOrderId: j.fill.clientOrderId,
      accountId: j.fill.accountId,
      symbol: j.fill.symbol,
      side: j.fill.side,
      qty: j.fill.qty,
      price: j.fill.price,
      commission: j.fill.commission,
      at: new Date(j.fill.at),
    };
  }
  if (j.reason !== undefined) e.reason = j.reason;
  return e;
}
