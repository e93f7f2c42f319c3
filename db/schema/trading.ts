import {
  bigint,
  index,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  unique,
  uuid,
} from "drizzle-orm/pg-core";
import { sql } from "drizzle-orm";
import { dec, ts } from "./columns";
import { brokerAccounts } from "./accounts";
import { instruments } from "./instruments";

export const orderSide = pgEnum("order_side", ["buy", "sell"]);
export const orderType = pgEnum("order_type", ["market", "limit"]);
export const orderStatus = pgEnum("order_status", [
  "pending_submit",
  "submitted",
  "accepted",
  "partially_filled",
  "filled",
  "pending_cancel",
  "cancelled",
  "rejected",
  "expired",
  "unknown",
]);
export const orderOrigin = pgEnum("order_origin", ["copy", "reconcile", "risk", "manual"]);

/**
 * Our record of every order, human or copied. The row (with its client order id) is written
 * before the broker is called, so a crash between the two is resolved by asking the broker
 * for that id, never by inventing a new one.
 */
export const orders = pgTable(
  "orders",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    clientOrderId: text("client_order_id").notNull().unique(),
    // No foreign keys on the account, copy and symbol, by decision (ADR 0071): every writer
    // reads those rows in the transaction that inserts the order, and the three checks per
    // order were a third of a fan-out's database time. book/integrity.ts asserts the same.
    brokerAccountId: uuid("broker_account_id").notNull(),
    relationshipId: uuid("relationship_id"),
    symbol: text("symbol").notNull(),
    side: orderSide("side").notNull(),
    type: orderType("type").notNull().default("market"),
    qty: dec("qty").notNull(),
    limitPrice: dec("limit_price"),
    status: orderStatus("status").notNull().default("pending_submit"),
    filledQty: dec("filled_qty").notNull().default("0"),
    avgPrice: dec("avg_price"),
    origin: orderOrigin("origin").notNull(),
    leaderFillId: text("leader_fill_id"),
    leaderEventSeq: bigint("leader_event_seq", { mode: "number" }),
    brokerOrderId: text("broker_order_id"),
    rejectReason: text("reject_reason"),
    attempts: bigint("attempts", { mode: "number" }).notNull().default(0),
    nextAttemptAt: ts("next_attempt_at"),
    correlationId: text("correlation_id"),
    /** Set by the web app; the worker sends the cancel (the web never talks to a broker). */
    cancelRequestedAt: ts("cancel_requested_at"),
    createdAt: ts("created_at").notNull(),
    updatedAt: ts("updated_at").notNull(),
  },
  (t) => [
    // Partial indexes on the statuses the engine looks for (ADR 0041, session 4): every
    // query by account and status asks for live orders (submission, event polling,
    // reconciliation, open orders on pages), and the claim asks for due ones. An order that
    // reaches a terminal state leaves these indexes instead of adding an entry to each, so
    // they stay the size of the work in flight, not of the order history. (A change of
    // status can still not be a HOT update: PostgreSQL counts predicate columns too.)
    index("orders_account_idx")
      .on(t.brokerAccountId, t.status)
      .where(sql`${t.status} not in ('filled', 'cancelled', 'rejected', 'expired')`),
    index("orders_due_idx")
      .on(t.createdAt, t.clientOrderId)
      .where(sql`${t.status} in ('pending_submit', 'unknown')`),
    index("orders_rel_idx").on(t.relationshipId, t.createdAt),
  ],
);

/**
 * Append-only, one row per broker trade. No foreign keys, by decision (ADR 0070): the
 * booking functions write each fill in the transaction that reads and locks its order, and
 * the key checks were a quarter of the database's booking time; `bookkeepingIntegrityProblems`
 * (server/engine/book/integrity.ts) asserts the same after every replay and chaos run.
 */
export const fills = pgTable(
  "fills",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    orderId: uuid("order_id").notNull(),
    brokerAccountId: uuid("broker_account_id").notNull(),
    brokerTradeId: text("broker_trade_id").notNull(),
    qty: dec("qty").notNull(),
    price: dec("price").notNull(),
    fee: dec("fee").notNull().default("0"),
    filledAt: ts("filled_at").notNull(),
  },
  (t) => [
    unique("fills_trade").on(t.brokerAccountId, t.brokerTradeId),
    index("fills_order_idx").on(t.orderId),
  ],
);

/** Projection: the platform's view of each account's position (average-cost method). */
export const positions = pgTable(
  "positions",
  {
    brokerAccountId: uuid("broker_account_id")
      .notNull()
      .references(() => brokerAccounts.id),
    symbol: text("symbol")
      .notNull()
      .references(() => instruments.symbol),
    qty: dec("qty").notNull().default("0"),
    avgCost: dec("avg_cost").notNull().default("0"),
    realizedPnl: dec("realized_pnl").notNull().default("0"),
    updatedAt: ts("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.brokerAccountId, t.symbol] })],
);
