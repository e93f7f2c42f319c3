import { bigint, date, pgTable, primaryKey, text, uuid } from "drizzle-orm/pg-core";
import { dec, ts } from "./columns";
import { leaders } from "./leaders";
import { brokerAccounts } from "./accounts";
import { copyRelationships } from "./copies";

/**
 * Projections the engine keeps so it never asks the broker on the hot path. All are updated
 * in the same transaction as the event that changes them.
 */

/** Leader's cash as the engine knows it: start balance, deposits, and the cash of every fill. */
export const leaderBooks = pgTable("leader_books", {
  leaderId: uuid("leader_id")
    .primaryKey()
    .references(() => leaders.id),
  cash: dec("cash").notNull(),
  updatedAt: ts("updated_at").notNull(),
});

export const leaderPositions = pgTable(
  "leader_positions",
  {
    leaderId: uuid("leader_id")
      .notNull()
      .references(() => leaders.id),
    symbol: text("symbol").notNull(),
    qty: dec("qty").notNull(),
    /** Set when the leader opens from flat; fixed_notional ratios are tied to this episode. */
    openedAtSeq: bigint("opened_at_seq", { mode: "number" }),
  },
  (t) => [primaryKey({ columns: [t.leaderId, t.symbol] })],
);

/** Platform view of each broker account's cash (fills, fees, deposits); reconciled against the broker. */
export const accountBalances = pgTable("account_balances", {
  brokerAccountId: uuid("broker_account_id")
    .primaryKey()
    .references(() => brokerAccounts.id),
  currency: text("currency").notNull(),
  cash: dec("cash").notNull(),
  updatedAt: ts("updated_at").notNull(),
});

/** How far each leader's stream has been fanned out to followers. */
export const replicationCursors = pgTable("replication_cursors", {
  leaderId: uuid("leader_id")
    .primaryKey()
    .references(() => leaders.id),
  lastSeq: bigint("last_seq", { mode: "number" }).notNull().default(0),
  updatedAt: ts("updated_at").notNull(),
});

/** How far each broker account's order-event stream has been consumed. */
export const brokerEventCursors = pgTable("broker_event_cursors", {
  brokerAccountId: uuid("broker_account_id")
    .primaryKey()
    .references(() => brokerAccounts.id),
  lastSeq: bigint("last_seq", { mode: "number" }).notNull().default(0),
});

/** The copy's P&L at the start of each UTC day: the daily loss limit's reference point. */
export const copyDayMarks = pgTable(
  "copy_day_marks",
  {
    relationshipId: uuid("relationship_id")
      .notNull()
      .references(() => copyRelationships.id),
    day: date("day", { mode: "string" }).notNull(),
    pnlAtStart: dec("pnl_at_start").notNull(),
  },
  (t) => [primaryKey({ columns: [t.relationshipId, t.day] })],
);

/**
 * Money movements the web app recorded that the worker must carry out at the broker
 * (account opening with its first deposit, later deposits and withdrawals).
 */
export const brokerTransfers = pgTable("broker_transfers", {
  id: uuid("id").primaryKey().defaultRandom(),
  brokerAccountId: uuid("broker_account_id")
    .notNull()
    .references(() => brokerAccounts.id),
  amount: dec("amount").notNull(),
  createdAt: ts("created_at").notNull(),
  appliedAt: ts("applied_at"),
});
