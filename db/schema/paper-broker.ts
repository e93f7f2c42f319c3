import {
  bigint,
  boolean,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  unique,
  index,
} from "drizzle-orm/pg-core";
import { sql } from "drizzle-orm";
import { dec, ts } from "./columns";

/**
 * The paper broker's own books: the "broker truth" reconciliation compares against. These
 * tables are deliberately separate from `orders`/`positions`; only the paper broker
 * (server/brokers/paper) reads or writes them.
 */
export const paperAccounts = pgTable("paper_accounts", {
  id: text("id").primaryKey(),
  currency: text("currency").notNull().default("USD"),
  cash: dec("cash").notNull(),
  /** Commission schedule and fault-injection settings for this account. */
  config: jsonb("config").$type<Record<string, unknown>>().notNull().default({}),
  /** Deterministic fault RNG state, so faults replay identically. */
  faultState: jsonb("fault_state").$type<Record<string, unknown>>().notNull().default({}),
  marginEnabled: boolean("margin_enabled").notNull().default(false),
  /** Last event seq written for this account; bumped under the account row lock (gapless). */
  eventSeq: bigint("event_seq", { mode: "number" }).notNull().default(0),
  createdAt: ts("created_at").notNull(),
});

export const paperOrders = pgTable(
  "paper_orders",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => paperAccounts.id),
    clientOrderId: text("client_order_id").notNull(),
    symbol: text("symbol").notNull(),
    side: text("side").$type<"buy" | "sell">().notNull(),
    type: text("type").$type<"market" | "limit">().notNull(),
    qty: dec("qty").notNull(),
    limitPrice: dec("limit_price"),
    status: text("status").notNull(),
    filledQty: dec("filled_qty").notNull().default("0"),
    avgPrice: dec("avg_price"),
    rejectReason: text("reject_reason"),
    /** Commission charged so far, so a per-order minimum is charged once across partial fills. */
    commission: dec("commission").notNull().default("0"),
    createdAt: ts("created_at").notNull(),
    updatedAt: ts("updated_at").notNull(),
  },
  (t) => [
    unique("paper_orders_client").on(t.accountId, t.clientOrderId),
    // Only working orders are ever looked up by status (placement's book, onQuote, open
    // orders): an order filled at placement is inserted `filled` and so never enters these
    // two indexes (two index writes per paper order less; ADR 0041, session 4).
    index("paper_orders_open_idx")
      .on(t.accountId, t.status)
      .where(sql`${t.status} in ('accepted', 'partially_filled')`),
    index("paper_orders_symbol_status_idx")
      .on(t.symbol, t.status)
      .where(sql`${t.status} in ('accepted', 'partially_filled')`),
  ],
);

export const paperFills = pgTable("paper_fills", {
  tradeId: text("trade_id").primaryKey(),
  orderId: text("order_id")
    .notNull()
    .references(() => paperOrders.id),
  accountId: text("account_id").notNull(),
  qty: dec("qty").notNull(),
  price: dec("price").notNull(),
  commission: dec("commission").notNull(),
  at: ts("at").notNull(),
});

export const paperPositions = pgTable(
  "paper_positions",
  {
    accountId: text("account_id")
      .notNull()
      .references(() => paperAccounts.id),
    symbol: text("symbol").notNull(),
    qty: dec("qty").notNull(),
    avgCost: dec("avg_cost").notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.symbol] })],
);

/**
 * The broker's outgoing order-event stream per account, read by consumers with a cursor.
 * Keyed by (account, seq) alone: every read is a seq range of one account, so a surrogate
 * id and an index on deliver_at (only ever read with the row) were two index writes per
 * event for nothing (ADR 0041, session 4).
 */
export const paperEvents = pgTable(
  "paper_events",
  {
    accountId: text("account_id").notNull(),
    seq: bigint("seq", { mode: "number" }).notNull(),
    event: jsonb("event").$type<Record<string, unknown>>().notNull(),
    at: ts("at").notNull(),
    /**
     * Fault injection: the event (and, since the stream keeps its order, every later one)
     * is not readable until the account's event seq reaches this value. `seq` = on time.
     */
    deliverAt: bigint("deliver_at", { mode: "number" }).notNull().default(0),
    /** A dropped event happened (orders/fills show it) but readEvents never returns it. */
    dropped: boolean("dropped").notNull().default(false),
    /** 2 = a duplicated event: readEvents returns it twice. */
    copies: integer("copies").notNull().default(1),
    /** A reordered event: delivered right after the next event instead of before it. */
    swapWithNext: boolean("swap_with_next").notNull().default(false),
  },
  (t) => [primaryKey({ name: "paper_events_pkey", columns: [t.accountId, t.seq] })],
);

/** Top-of-book liquidity per symbol: at most this quantity fills per order per quote. */
export const paperLiquidity = pgTable("paper_liquidity", {
  symbol: text("symbol").primaryKey(),
  maxFillQty: dec("max_fill_qty").notNull(),
});
