import type { Clock } from "../../domain/clock";
import { D, fmt, ZERO } from "../../domain/money";
import {
  BrokerRateLimitedError,
  BrokerRejectedError,
  BrokerTransientError,
  BrokerUnknownOutcomeError,
  type BrokerOrderEvent,
  type OrderRequest,
  type PlaceOrderResult,
} from "../types";
import type { AccountStore } from "./account-store";
import { decideCall, type CallDecision } from "./faults";
import { accountValues } from "./margin";
import { matchOrder } from "./matching";
import { seqId, toOrder, type OrderRow } from "./rows";
import { parseOrder, validateOrder, type ParsedOrder } from "./validation";

/**
 * The placement of one order on one locked account, written once against AccountStore:
 * placeOrder runs it on an AccountTx, placeOrders on a BatchAccount.
 */

/** Shape check of a request: the parsed order, or the INVALID_ORDER error (nothing recorded). */
export function parseRequest(
  req: OrderRequest,
): { ok: true; parsed: ParsedOrder } | { ok: false; error: BrokerRejectedError } {
  const parsed = parseOrder(req);
  if (!parsed || typeof req.clientOrderId !== "string" || req.clientOrderId === "") {
    return {
      ok: false,
      error: new BrokerRejectedError(
        "INVALID_ORDER",
        `malformed order request ${JSON.stringify(req)}`,
      ),
    };
  }
  return { ok: true, parsed };
}

export type Placement = {
  decision: CallDecision;
  /** null when a fault stopped the request before acceptance. */
  order: OrderRow | null;
  retryAfterMs: number;
};

/** Fault decision, idempotency check, and (for a new id) validation, recording and matching. */
export async function submitOrder(
  a: AccountStore,
  clientOrderId: string,
  parsed: ParsedOrder,
  seed: number | string,
  clock: Clock,
): Promise<Placement> {
  const decision: CallDecision = decideCall(a.faultState, a.config.faults ?? {}, seed, a.id, true);
  const retryAfterMs = a.config.faults?.rateLimitRetryAfterMs ?? 1000;
  // Faults before acceptance: the request never reached the matching engine.
  if (decision.fault && decision.fault !== "timeout_after_accept")
    return { decision, order: null, retryAfterMs };
  const existing = await a.findOrder(clientOrderId);
  const order = existing ?? (await createOrder(a, clientOrderId, parsed, clock));
  return { decision, order, retryAfterMs };
}

/**
 * What the caller sees (after the transaction and the injected latency). Snapshots the
 * order, so call it right after the placement.
 */
export function placementOutcome(p: Placement): PlaceOrderResult {
  switch (p.decision.fault) {
    case "rate_limited":
      return {
        ok: false,
        error: new BrokerRateLimitedError(p.retryAfterMs, "injected 429: rate limited"),
      };
    case "error_before_accept":
      return { ok: false, error: new BrokerTransientError("injected error before acceptance") };
    case "reject":
      return { ok: false, error: new BrokerRejectedError("INJECTED_REJECT", "injected rejection") };
    case "timeout_after_accept":
      return {
        ok: false,
        error: new BrokerUnknownOutcomeError("injected timeout after acceptance"),
      };
  }
  const result = toOrder(p.order!);
  // A rejected order surfaces as an error on every submission, the first and the repeats.
  if (result.status === "rejected") {
    return {
      ok: false,
      error: new BrokerRejectedError(result.rejectReason ?? "REJECTED", undefined, result),
    };
  }
  return { ok: true, order: result };
}

async function createOrder(
  a: AccountStore,
  clientOrderId: string,
  p: ParsedOrder,
  clock: Clock,
): Promise<OrderRow> {
  const now = clock.now();
  const ins = await a.instrument(p.symbol);
  const quote = await a.quote(p.symbol);
  const values = accountValues(await a.book([p.symbol]));
  const position = await a.position(p.symbol);
  const reason = validateOrder({
    order: p,
    instrument: ins,
    quote,
    now,
    position: position ? D(position.qty) : ZERO,
    projected: values.projected.get(p.symbol) ?? ZERO,
    freeCollateral: values.freeCollateral,
    marginEnabled: a.marginEnabled,
    slippageBps: a.config.slippageBps ?? "0",
    commission: a.config.commission,
  });

  const seq = a.nextSeq();
  const order = await a.insertOrder({
    id: seqId("PO", a.id, seq),
    accountId: a.id,
    clientOrderId,
    symbol: p.symbol,
    side: p.side,
    type: p.type,
    qty: fmt(p.qty),
    limitPrice: p.limitPrice ? fmt(p.limitPrice) : null,
    status: reason ? "rejected" : "accepted",
    rejectReason: reason,
    createdAt: now,
    updatedAt: now,
  });
  await a.emit(orderEvent(seq, order, now));
  if (!reason && quote && ins) {
    await matchOrder(a, order, ins, quote, now, await a.liquidity(p.symbol));
  }
  return order;
}

/** The event of an order state change without a fill (accepted, rejected, cancelled). */
export function orderEvent(seq: number, o: OrderRow, at: Date): BrokerOrderEvent {
  const e: BrokerOrderEvent = {
    seq,
    accountId: o.accountId,
    type: o.status as BrokerOrderEvent["type"],
    clientOrderId: o.clientOrderId,
    brokerOrderId: o.id,
    symbol: o.symbol,
    side: o.side,
    filledQty: o.filledQty,
    at,
  };
  if (o.rejectReason) e.reason = o.rejectReason;
  return e;
}
