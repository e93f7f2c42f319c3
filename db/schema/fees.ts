import {
  bigint,
  bigserial,
  integer,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { dec, ts } from "./columns";
import { leaders } from "./leaders";
import { copyFees, copyRelationships } from "./copies";

/**
 * The platform's own fee settings, set by admins. Append-only: the latest row is in force,
 * the earlier ones say what was in force when (statements and disputes read them).
 * `platformSharePct` is the part of every management and performance fee the platform
 * keeps; the rest is the leader's (docs/adr/0060).
 */
export const platformFeeSettings = pgTable("platform_fee_settings", {
  id: bigserial("id", { mode: "number" }).primaryKey(),
  platformFeeBps: dec("platform_fee_bps").notNull(),
  platformSharePct: dec("platform_share_pct").notNull(),
  setBy: uuid("set_by"),
  at: ts("at").notNull(),
});

/**
 * A leader's fee agreement versions: every change of the leader's fees, or of the platform
 * fee, is a new version; a copy moves to it only when its follower consents (docs/adr/0061).
 */
export const feeSchedules = pgTable(
  "fee_schedules",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    leaderId: uuid("leader_id")
      .notNull()
      .references(() => leaders.id),
    version: integer("version").notNull(),
    performanceFeePct: dec("performance_fee_pct").notNull(),
    managementFeePctYear: dec("management_fee_pct_year").notNull(),
    platformFeeBps: dec("platform_fee_bps").notNull(),
    period: text("period").$type<"month" | "quarter">().notNull(),
    createdBy: uuid("created_by"),
    createdAt: ts("created_at").notNull(),
  },
  (t) => [uniqueIndex("fee_schedules_leader_version").on(t.leaderId, t.version)],
);

/**
 * Which agreement version each copy is on, and a newer one its follower accepted: accepted
 * terms take effect at the start of the next fee period, so a period is charged under one
 * set of terms only (docs/adr/0061).
 */
export const copyFeeTerms = pgTable("copy_fee_terms", {
  relationshipId: uuid("relationship_id")
    .primaryKey()
    .references(() => copyRelationships.id),
  scheduleId: uuid("schedule_id").references(() => feeSchedules.id),
  consentedAt: ts("consented_at").notNull(),
  acceptedScheduleId: uuid("accepted_schedule_id").references(() => feeSchedules.id),
  acceptedAt: ts("accepted_at"),
  /** The 00:00 UTC that starts the next period: the accepted terms apply from then. */
  effectiveAt: ts("effective_at"),
});

/**
 * The copy's valuation at each fee settlement (a period's end, or a stop): what the fees
 * were computed on. Quotes move on, so the value at that instant cannot be derived later;
 * every amount charged stays in copy_fees and the ledger.
 */
export const feePeriodMarks = pgTable(
  "fee_period_marks",
  {
    relationshipId: uuid("relationship_id")
      .notNull()
      .references(() => copyRelationships.id),
    period: text("period").notNull(),
    at: ts("at").notNull(),
    /** Equity before this settlement's management and performance fees. */
    equity: dec("equity").notNull(),
    /** Unrealized P&L of the copy's positions at exit prices then. */
    unrealized: dec("unrealized").notNull(),
    highWaterMarkBefore: dec("high_water_mark_before").notNull(),
    highWaterMarkAfter: dec("high_water_mark_after").notNull(),
  },
  (t) => [primaryKey({ columns: [t.relationshipId, t.at] })],
);

/**
 * Each management, performance and platform fee's split and its cash at the broker: the
 * split (leader's and platform's part) is written when the fee is charged; at the paper
 * broker the worker then really moves the cash (follower's paper account to the leader's
 * earnings account and the platform's) and sets `movedAt` in the same transaction, so a
 * fee's cash moves once; at an external broker the fee stays a receivable from the follower
 * (docs/adr/0060). Earnings pages read pending (not moved yet or owed) and paid from it.
 */
export const feeCashMoves = pgTable("fee_cash_moves", {
  copyFeeId: bigint("copy_fee_id", { mode: "number" })
    .primaryKey()
    .references(() => copyFees.id),
  kind: text("kind").$type<"pending" | "moved" | "receivable">().notNull(),
  leaderAmount: dec("leader_amount").notNull(),
  platformAmount: dec("platform_amount").notNull(),
  at: ts("at").notNull(),
  movedAt: ts("moved_at"),
});
