import { sql } from "drizzle-orm";
import {
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { ts } from "./columns";
import { leaders } from "./leaders";

/**
 * A leader whose recent trading departs sharply from their own trailing 30 days
 * (server/domain/strategy-change.ts). While a flag is open, followers are told, and those who
 * chose `pause_increases` copy no increases (reason LEADER_STRATEGY_CHANGE). ADR 0035.
 */
export const leaderFlags = pgTable(
  "leader_flags",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    leaderId: uuid("leader_id")
      .notNull()
      .references(() => leaders.id),
    kind: text("kind").$type<"strategy_change">().notNull().default("strategy_change"),
    /** What departed, in words: "position size 10× the 30-day median". */
    reason: text("reason").notNull(),
    /** The detector's figures (recent window against trailing), as decimal strings. */
    figures: jsonb("figures").$type<Record<string, unknown>>().notNull().default({}),
    openedAt: ts("opened_at").notNull(),
    openedBy: text("opened_by").notNull(),
    closedAt: ts("closed_at"),
    /** "system" when the window normalised, else the admin's user id. */
    closedBy: text("closed_by"),
    closeReason: text("close_reason"),
  },
  (t) => [
    // One open flag per leader whatever the races between workers: the check and its write
    // are this constraint.
    uniqueIndex("leader_flags_one_open")
      .on(t.leaderId, t.kind)
      .where(sql`${t.closedAt} is null`),
    index("leader_flags_leader_idx").on(t.leaderId, t.openedAt),
  ],
);

/**
 * The last check of a leader's history against the broker's own fills (server/domain/
 * verified.ts), written by the worker: the web app never asks a broker (ADR 0002), so the
 * profile reads the badge and its reasons from here. ADR 0036.
 */
export const leaderVerifications = pgTable("leader_verifications", {
  leaderId: uuid("leader_id")
    .primaryKey()
    .references(() => leaders.id),
  verified: boolean("verified").notNull(),
  fillsChecked: integer("fills_checked").notNull(),
  fillsMatched: integer("fills_matched").notNull(),
  /** Why not, in words, one line per kind of mismatch (empty when verified). */
  reasons: jsonb("reasons").$type<string[]>().notNull().default([]),
  /** Up to a few mismatching fills, for support. */
  mismatches: jsonb("mismatches").$type<Array<Record<string, string>>>().notNull().default([]),
  checkedAt: ts("checked_at").notNull(),
  /** When the history last became verified; null while it is not. */
  verifiedSince: ts("verified_since"),
});
