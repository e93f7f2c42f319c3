import { sql } from "drizzle-orm";
import { index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, ts } from "./columns";
import { leaders } from "./leaders";
import { users } from "./users";

export type WhatIfStatus = "queued" | "running" | "done" | "failed" | "timed_out";

/**
 * What-if runs (docs/adr/0066-what-if-runs.md): the web records a request, a worker claims
 * it, replays the leader's recorded stream with the asker's settings on a throwaway
 * database, and writes progress and the result here. One queued or running run per user,
 * held by the partial unique index, so two tabs cannot start two.
 */
export const whatIfRuns = pgTable(
  "whatif_runs",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id),
    leaderId: uuid("leader_id")
      .notNull()
      .references(() => leaders.id),
    days: integer("days").notNull(),
    /** The settings as validated: amount, sizing, limits, fees (decimal strings). */
    settings: jsonb("settings").$type<Record<string, unknown>>().notNull(),
    status: text("status").$type<WhatIfStatus>().notNull().default("queued"),
    /** 0–100, written by the worker as the replay goes. */
    progress: integer("progress").notNull().default(0),
    /** Replay events in the exported scenario (the size the limit checks). */
    eventCount: integer("event_count"),
    result: jsonb("result").$type<Record<string, unknown>>(),
    /** Words for the asker, never an internal message. */
    error: text("error"),
    claimedBy: text("claimed_by"),
    createdAt: createdAt(),
    startedAt: ts("started_at"),
    finishedAt: ts("finished_at"),
  },
  (t) => [
    uniqueIndex("whatif_one_live_per_user")
      .on(t.userId)
      .where(sql`${t.status} in ('queued', 'running')`),
    index("whatif_queue_idx").on(t.status, t.createdAt),
  ],
);
