import { boolean, pgTable, text, uuid } from "drizzle-orm/pg-core";
import { createdAt, dec, ts } from "./columns";
import { users } from "./users";
import { brokerAccounts } from "./accounts";

export const leaders = pgTable("leaders", {
  id: uuid("id").primaryKey().defaultRandom(),
  userId: uuid("user_id")
    .notNull()
    .unique()
    .references(() => users.id),
  handle: text("handle").notNull().unique(),
  displayName: text("display_name").notNull(),
  bio: text("bio").notNull().default(""),
  strategy: text("strategy").notNull().default(""),
  brokerAccountId: uuid("broker_account_id")
    .notNull()
    .references(() => brokerAccounts.id),
  /** Admins (or the engine's breakers) can make a leader uncopyable without deleting history. */
  copyable: boolean("copyable").notNull().default(true),
  /** Strategy API only (ADR 0055): market orders unless the leader turns limit orders on. */
  apiLimitOrders: boolean("api_limit_orders").notNull().default(false),
  minAllocation: dec("min_allocation").notNull().default("100"),
  performanceFeePct: dec("performance_fee_pct").notNull().default("0"),
  trackRecordStartedAt: ts("track_record_started_at").notNull(),
  createdAt: createdAt(),
});
