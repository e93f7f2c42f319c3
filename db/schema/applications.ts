import { sql } from "drizzle-orm";
import { index, jsonb, pgEnum, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { brokerAccounts } from "./accounts";
import { createdAt, ts } from "./columns";
import { leaders } from "./leaders";
import { users } from "./users";

export const applicationStatus = pgEnum("leader_application_status", [
  "pending",
  "approved",
  "refused",
  "withdrawn",
]);
export type ApplicationStatus = (typeof applicationStatus.enumValues)[number];

/**
 * A follower's request to become a leader (docs/adr/0051). Support or an admin decides it
 * with a reason in words; approval creates the leader row and makes the user a leader. At most
 * one pending application per user, enforced by the partial unique index, so two quick
 * submissions cannot both land.
 */
export const leaderApplications = pgTable(
  "leader_applications",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id),
    displayName: text("display_name").notNull(),
    handle: text("handle").notNull(),
    strategy: text("strategy").notNull(),
    instruments: jsonb("instruments").$type<string[]>().notNull(),
    brokerAccountId: uuid("broker_account_id")
      .notNull()
      .references(() => brokerAccounts.id),
    status: applicationStatus("status").notNull().default("pending"),
    /** Why it was approved or refused, in the reviewer's words. */
    reason: text("reason"),
    reviewedBy: uuid("reviewed_by").references(() => users.id),
    reviewedAt: ts("reviewed_at"),
    leaderId: uuid("leader_id").references(() => leaders.id),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("leader_applications_one_pending")
      .on(t.userId)
      .where(sql`${t.status} = 'pending'`),
    index("leader_applications_status_idx").on(t.status, t.createdAt),
  ],
);
