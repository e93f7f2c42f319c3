import { D, fmt } from "../../domain/money";
import type { BrokerFill, BrokerOrder, BrokerOrderEvent, BrokerOrderStatus, Side } from "../types";

/** The fields of Alpaca's Order object the seam needs (the OpenAPI schema "Order"). */
export type AlpacaOrder = {
  id: string;
  client_order_id: string;
  symbol: string;
  side: Side;
  type: string;
  qty: string | null;
  notional?: string | null;
  limit_price: string | null;
  status: string;
  filled_qty: string;
  filled_avg_price: string | null;
  created_at: string;
  updated_at: string;
  submitted_at?: string;
};

/** Alpaca's TradingActivities object (activity_type FILL). */
export type AlpacaFillActivity = {
  id: string;
  activity_type: "FILL";
  transaction_time: string;
  type: "fill" | "partial_fill";
  price: string;
  qty: string;
  side: string;
  symbol: string;
  leaves_qty: string;
  order_id: string;
  cum_qty: string;
  order_status: string;
};

/** A CFEE (crypto fee) non-trade activity, as the published NonTradeActivities item. */
export type AlpacaFeeActivity = {
  id: string;
  activity_type: "CFEE";
  date?: string;
  created_at?: string;
  net_amount?: string;
  currency?: string;
  symbol?: string;
  qty?: string;
  group_id?: string;
  status?: "executed" | "correct" | "canceled";
};

/** A trade_updates message's data. */
export type AlpacaTradeUpdate = {
  event: string;
  event_id?: string;
  execution_id?: string;
  order: AlpacaOrder;
  timestamp?: string;
  at?: string;
  price?: string;
  qty?: string;
  position_qty?: string;
};

const n = (x: string | null | undefined): string | null => (x == null || x === "" ? null : fmt(x));

/** Alpaca's many order states onto the seam's six. Pending states count as accepted. */
export function statusOf(s: string): BrokerOrderStatus {
  switch (s) {
    case "partially_filled":
      return "partially_filled";
    case "filled":
      return "filled";
    case "canceled":
    case "replaced":
    case "done_for_day":
      return "cancelled";
    case "expired":
      return "expired";
    case "rejected":
    case "suspended":
      return "rejected";
    default:
      return "accepted";
  }
}

export function toOrder(o: AlpacaOrder, accountId: string, symbol: string): BrokerOrder {
  return {
    brokerOrderId: o.id,
    clientOrderId: o.client_order_id,
    accountId,
    symbol,
    side: o.side,
    type: o.type === "limit" ? "limit" : "market",
    qty: n(o.qty) ?? "0",
    limitPrice: n(o.limit_price),
    status: statusOf(o.status),
    filledQty: n(o.filled_qty) ?? "0",
    avgPrice: n(o.filled_avg_price),
    rejectReason: null,
    createdAt: new Date(o.created_at),
    updatedAt: new Date(o.updated_at),
  };
}

/**
 * One fill's identity, the same from the stream and from account activities: the order and
 * its cumulative filled quantity after the fill (strictly increasing per order). Alpaca's
 * execution_id and activity id are not documented to be the same string; this is.
 */
export function tradeIdOf(orderId: string, cumQty: string): string {
  return `${orderId}:${fmt(cumQty)}`;
}

export function fillFromActivity(
  a: AlpacaFillActivity,
  accountId: string,
  clientOrderId: string,
  symbol: string,
): BrokerFill {
  return {
    tradeId: tradeIdOf(a.order_id, a.cum_qty),
    brokerOrderId: a.order_id,
    clientOrderId,
    accountId,
    symbol,
    side: a.side === "sell" || a.side === "sell_short" ? "sell" : "buy",
    qty: fmt(a.qty),
    price: fmt(a.price),
    // Equities trade commission-free at Alpaca; crypto fees arrive later as CFEE
    // activities, booked as charges of their own (listCharges, docs/adr/0020).
    commission: "0",
    at: new Date(a.transaction_time),
  };
}

/**
 * A crypto fee as a charge on its order (a fill report of quantity 0: the commission only),
 * or null when it moved no cash: cancelled, or taken in the coin itself (net_amount 0,
 * qty negative), which our books do not model (docs/adr/0020).
 */
export function chargeFromFeeActivity(
  a: AlpacaFeeActivity,
  accountId: string,
  order: { clientOrderId: string; symbol: string; side: "buy" | "sell" },
): BrokerFill | null {
  const amount = D(a.net_amount ?? "0").neg();
  if (a.status === "canceled" || amount.isZero()) return null;
  return {
    tradeId: `cfee:${a.id}`,
    brokerOrderId: a.group_id!,
    clientOrderId: order.clientOrderId,
    accountId,
    symbol: order.symbol,
    side: order.side,
    qty: "0",
    price: "0",
    commission: fmt(amount),
    at: new Date(a.created_at ?? a.date!),
  };
}

const EVENT_TYPES: Record<string, BrokerOrderStatus> = {
  new: "accepted",
  accepted: "accepted",
  partial_fill: "partially_filled",
  fill: "filled",
  canceled: "cancelled",
  expired: "expired",
  rejected: "rejected",
};

/** A trade update as a seam event (seq filled in by the journal), or null if not one. */
export function eventFromUpdate(
  u: AlpacaTradeUpdate,
  accountId: string,
  symbol: string,
): BrokerOrderEvent | null {
  const type = EVENT_TYPES[u.event];
  if (!type) return null;
  const at = new Date(u.timestamp ?? u.at ?? u.order.updated_at);
  const e: BrokerOrderEvent = {
    seq: 0,
    accountId,
    type,
    clientOrderId: u.order.client_order_id,
    brokerOrderId: u.order.id,
    symbol,
    side: u.order.side,
    filledQty: n(u.order.filled_qty) ?? "0",
    at,
  };
  if ((type === "partially_filled" || type === "filled") && u.qty && u.price) {
    e.fill = {
      tradeId: tradeIdOf(u.order.id, u.order.filled_qty),
      brokerOrderId: u.order.id,
      clientOrderId: u.order.client_order_id,
      accountId,
      symbol,
      side: u.order.side,
      qty: fmt(u.qty),
      price: fmt(u.price),
      commission: "0",
      at,
    };
  }
  return e;
}
