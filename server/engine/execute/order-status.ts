import type { BrokerOrderStatus } from "../../brokers/types";
import { transition, type OrderEvent, type OrderState } from "../../domain/order-state";

/**
 * The one mapping from what a broker reports about an order (an event's type, or the status
 * of a looked-up order) to the event of our transition table. Status reports that carry no
 * new fact of their own (`partially_filled`, `filled` without a fill, `new`) map to null:
 * fills arrive as fills and are booked by the bookkeeping core.
 */
export function brokerReportEvent(status: BrokerOrderStatus | string): OrderEvent | null {
  switch (status) {
    case "accepted":
      return "accept";
    case "cancelled":
      return "cancel";
    case "expired":
      return "expire";
    case "rejected":
      return "reject";
    default:
      return null;
  }
}

/**
 * The state after `event`, by the transition table; the state itself when the table has no
 * entry (a stale or contradicting report is recorded by the caller, never forced).
 */
export function stateAfter(state: OrderState, event: OrderEvent): OrderState {
  try {
    return transition(state, event);
  } catch {
    return state;
  }
}
