import type { BrokerAdapter } from "../../brokers/types";

export type CallCounts = { submit: number; query: number; cancel: number };

/**
 * Wraps a broker to count the calls the report's `brokerCalls` shows, per account:
 * `submit` every placeOrder (retries included), `query` every look-up of one order
 * (getOrder, listFills by order, and each order getHoldingsMany is asked for), `cancel`
 * every cancelOrder. Snapshot reads (positions, account, open orders, the event stream) are
 * not counted.
 */
export function countingBroker(
  inner: BrokerAdapter,
  counts: Map<string, CallCounts>,
): BrokerAdapter {
  const bump = (account: string, k: keyof CallCounts) => {
    const c = counts.get(account) ?? { submit: 0, query: 0, cancel: 0 };
    c[k]++;
    counts.set(account, c);
  };
  return {
    name: inner.name,
    placeOrder: (req) => (bump(req.accountId, "submit"), inner.placeOrder(req)),
    cancelOrder: (a, id) => (bump(a, "cancel"), inner.cancelOrder(a, id)),
    getOrder: (a, id) => (bump(a, "query"), inner.getOrder(a, id)),
    listFills: (a, o) => {
      if (o?.clientOrderId) bump(a, "query");
      return inner.listFills(a, o);
    },
    listOpenOrders: (a) => inner.listOpenOrders(a),
    getPositions: (a) => inner.getPositions(a),
    getAccount: (a) => inner.getAccount(a),
    readEvents: (a, after, limit) => inner.readEvents(a, after, limit),
    // The batch calls count exactly like the single ones: one submit per request.
    ...(inner.placeOrders
      ? {
          placeOrders: (reqs: Parameters<NonNullable<BrokerAdapter["placeOrders"]>>[0]) => {
            for (const r of reqs) bump(r.accountId, "submit");
            return inner.placeOrders!(reqs);
          },
        }
      : {}),
    ...(inner.readEventsMany ? { readEventsMany: inner.readEventsMany.bind(inner) } : {}),
    // Reconciliation's batch read, so a replay reconciles as the worker does (ADR 0045);
    // each order it asks for counts as the getOrder it replaces: one query per live order.
    ...(inner.getHoldingsMany
      ? {
          getHoldingsMany: (
            accountIds: string[],
            orders: Array<{ accountId: string; clientOrderId: string }>,
          ) => {
            for (const o of orders) bump(o.accountId, "query");
            return inner.getHoldingsMany!(accountIds, orders);
          },
        }
      : {}),
  };
}
