/**
 * The broker seam: every broker (the paper broker now, real ones later) is reached through
 * `BrokerAdapter`. Decimals are strings at this boundary; ids are chosen by the caller
 * (`clientOrderId`) so that a retry can never create a second order.
 */

export type Side = "buy" | "sell";

export type OrderRequest = {
  accountId: string;
  clientOrderId: string;
  symbol: string;
  side: Side;
  type: "market" | "limit";
  qty: string;
  limitPrice?: string;
};

export type BrokerOrderStatus =
  "accepted" | "partially_filled" | "filled" | "cancelled" | "rejected" | "expired";

export type BrokerOrder = {
  brokerOrderId: string;
  clientOrderId: string;
  accountId: string;
  symbol: string;
  side: Side;
  type: "market" | "limit";
  qty: string;
  limitPrice: string | null;
  status: BrokerOrderStatus;
  filledQty: string;
  avgPrice: string | null;
  rejectReason: string | null;
  createdAt: Date;
  updatedAt: Date;
};

/**
 * A fill report. One of quantity "0" is a charge: a commission the broker posted after the
 * order's fills (Alpaca's crypto fees, `listCharges`), booked to cash and the copy's fees
 * only (domain/bookkeeping.ts); its price is "0".
 */
export type BrokerFill = {
  /** Unique per fill at this broker: the dedupe key for fills. */
  tradeId: string;
  brokerOrderId: string;
  clientOrderId: string;
  accountId: string;
  symbol: string;
  side: Side;
  qty: string;
  price: string;
  commission: string;
  at: Date;
};

export type BrokerOrderEvent = {
  /** Per-account, gapless in the broker's truth. Gaps seen by a reader mean lost events. */
  seq: number;
  accountId: string;
  type: BrokerOrderStatus;
  clientOrderId: string;
  brokerOrderId: string;
  symbol: string;
  side: Side;
  /** Cumulative filled quantity of the order after this event. */
  filledQty: string;
  at: Date;
  fill?: BrokerFill;
  reason?: string;
};

export type BrokerPosition = { symbol: string; qty: string; avgCost: string };

export type BrokerAccount = {
  accountId: string;
  currency: string;
  cash: string;
  equity: string;
  buyingPower: string;
};

/** One outcome of placeOrders: what placeOrder would have returned or thrown. */
export type PlaceOrderResult = { ok: true; order: BrokerOrder } | { ok: false; error: BrokerError };

export interface BrokerAdapter {
  readonly name: string;
  /** Same clientOrderId twice => the existing order, never a second one. */
  placeOrder(req: OrderRequest): Promise<BrokerOrder>;
  /** Idempotent: cancelling a terminal order returns it unchanged. */
  cancelOrder(accountId: string, clientOrderId: string): Promise<BrokerOrder>;
  getOrder(accountId: string, clientOrderId: string): Promise<BrokerOrder | null>;
  listOpenOrders(accountId: string): Promise<BrokerOrder[]>;
  listFills(
    accountId: string,
    opts?: { since?: Date; clientOrderId?: string },
  ): Promise<BrokerFill[]>;
  /**
   * Commissions the broker charged apart from its fill reports (posted later, as their own
   * records), posted at or after `since`, oldest first, as charges (fills of quantity "0",
   * the commission only; tradeId unique per charge). Optional: a broker that reports every
   * commission on its fills has none. Reconciliation books them before it compares cash.
   */
  listCharges?(accountId: string, since: Date): Promise<BrokerFill[]>;
  getPositions(accountId: string): Promise<BrokerPosition[]>;
  getAccount(accountId: string): Promise<BrokerAccount>;
  /**
   * Pull-based event stream. Pass the highest `seq` you have seen (not the last one of the
   * page: a delayed event can arrive after a higher seq). Events may come twice, late or
   * never (faults); dedupe by seq / tradeId and reconcile with getOrder/listFills.
   */
  readEvents(accountId: string, afterSeq: number, limit?: number): Promise<BrokerOrderEvent[]>;
  /**
   * Places many orders; results in input order. Semantics per request are exactly those of
   * placeOrder (idempotent clientOrderId, validation, faults consumed per request in input
   * order), but outcomes are returned instead of thrown. Optional: callers fall back to
   * placeOrder. The call itself throws only when the batch could not be processed at all
   * (database failure): then treat every request as an unknown outcome (getOrder).
   */
  placeOrders?(reqs: OrderRequest[]): Promise<PlaceOrderResult[]>;
  /**
   * readEvents for many accounts at once; same per-account semantics (fault shaping
   * included). Optional: callers fall back to readEvents. Every account is a key of the
   * result (possibly with no events); an unknown account throws BrokerNotFoundError.
   */
  readEventsMany?(
    cursors: Array<{ accountId: string; afterSeq: number }>,
    limitPerAccount?: number,
  ): Promise<Map<string, BrokerOrderEvent[]>>;
  /**
   * Reconciliation's broker truth for many accounts at once: each account's cash and its
   * non-zero positions (what getAccount().cash and getPositions() return), and the orders
   * asked for by client order id (getOrder; an order the broker does not have is absent).
   * Optional: callers fall back to the one-account calls. Unknown accounts are absent.
   */
  getHoldingsMany?(
    accountIds: string[],
    orders: Array<{ accountId: string; clientOrderId: string }>,
  ): Promise<{
    accounts: Map<string, { cash: string; positions: BrokerPosition[] }>;
    orders: Map<string, BrokerOrder>;
  }>;
}

/** Stable rejection codes (BrokerRejectedError.reason, BrokerOrder.rejectReason). */
export const REJECT_REASONS = [
  "INSUFFICIENT_BUYING_POWER",
  "QTY_NOT_ON_STEP",
  "BELOW_MIN_QTY",
  "BELOW_MIN_NOTIONAL",
  "PRICE_OFF_TICK",
  "MARKET_CLOSED",
  "UNKNOWN_SYMBOL",
  "NO_QUOTE",
  "INJECTED_REJECT",
  /** Malformed request (qty not a positive decimal, limit without price, …). */
  "INVALID_ORDER",
  /**
   * A real broker refused with a message that maps to none of the codes above (e.g. Alpaca's
   * 403 "trading is blocked", a PDT refusal); the broker's own message is kept in the error.
   */
  "BROKER_REFUSED",
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export type BrokerErrorKind =
  | "rejected"
  | "transient"
  | "unknown_outcome"
  | "rate_limited"
  /** Unknown account or order: a caller bug or a reconciliation finding, not retryable. */
  | "not_found";

export class BrokerError extends Error {
  readonly kind: BrokerErrorKind;
  constructor(kind: BrokerErrorKind, message: string) {
    super(message);
    this.name = "BrokerError";
    this.kind = kind;
  }
}

/** Definitive: the broker refused. Retrying the same request gives the same answer. */
export class BrokerRejectedError extends BrokerError {
  readonly reason: string;
  /** The persisted rejected order when the broker recorded one (validation rejections). */
  readonly order: BrokerOrder | null;
  constructor(reason: string, message?: string, order: BrokerOrder | null = null) {
    super("rejected", message ?? `order rejected: ${reason}`);
    this.name = "BrokerRejectedError";
    this.reason = reason;
    this.order = order;
  }
}

/** Failed before acceptance: nothing happened; safe to retry with the same clientOrderId. */
export class BrokerTransientError extends BrokerError {
  constructor(message = "transient broker error before acceptance") {
    super("transient", message);
    this.name = "BrokerTransientError";
  }
}

/** The request may or may not have taken effect: ask getOrder, never resubmit blindly. */
export class BrokerUnknownOutcomeError extends BrokerError {
  constructor(message = "broker call timed out; outcome unknown") {
    super("unknown_outcome", message);
    this.name = "BrokerUnknownOutcomeError";
  }
}

/** 429: nothing happened; retry after `retryAfterMs` (and slow down). */
export class BrokerRateLimitedError extends BrokerError {
  readonly retryAfterMs: number;
  constructor(retryAfterMs: number, message?: string) {
    super("rate_limited", message ?? `rate limited; retry after ${retryAfterMs} ms`);
    this.name = "BrokerRateLimitedError";
    this.retryAfterMs = retryAfterMs;
  }
}

export class BrokerNotFoundError extends BrokerError {
  constructor(message: string) {
    super("not_found", message);
    this.name = "BrokerNotFoundError";
  }
}
