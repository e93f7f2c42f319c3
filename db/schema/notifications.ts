import {
  bigint,
  bigserial,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { sql } from "drizzle-orm";
import { ts } from "./columns";
import { users } from "./users";

/**
 * Notifications are derived by the worker from what the engine already records (decisions,
 * events), never written by the engine itself (ADR 0017). `dedupeKey` makes deriving them
 * idempotent: re-reading a source row can never notify twice.
 */
export const notifications = pgTable(
  "notifications",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id),
    kind: text("kind").notNull(),
    title: text("title").notNull(),
    body: text("body").notNull(),
    /** A page inside the app, e.g. /copies/<id>. */
    link: text("link"),
    dedupeKey: text("dedupe_key").notNull(),
    /** Kind-specific facts (a batch's counts per reason), so a batch can be extended. */
    details: jsonb("details").$type<Record<string, unknown>>().notNull().default({}),
    /** False when the user wants this kind by e-mail only: kept as the e-mail's source. */
    inApp: boolean("in_app").notNull().default(true),
    createdAt: ts("created_at").notNull().defaultNow(),
    readAt: ts("read_at"),
  },
  (t) => [
    uniqueIndex("notifications_dedupe").on(t.dedupeKey),
    index("notifications_user_idx").on(t.userId, t.id),
    index("notifications_unread_idx")
      .on(t.userId)
      .where(sql`${t.readAt} is null`),
  ],
);

/** E-mails to send: one per notification at most, delivered with retries by the worker. */
export const notificationOutbox = pgTable(
  "notification_outbox",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    notificationId: bigint("notification_id", { mode: "number" })
      .notNull()
      .references(() => notifications.id),
    toAddress: text("to_address").notNull(),
    subject: text("subject").notNull(),
    body: text("body").notNull(),
    /** pending → sent, or failed after the last attempt. */
    status: text("status").$type<"pending" | "sent" | "failed">().notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: ts("next_attempt_at").notNull().defaultNow(),
    /** A worker holds the row until then while it talks to the SMTP server. */
    claimedUntil: ts("claimed_until"),
    lastError: text("last_error"),
    messageId: text("message_id"),
    sentAt: ts("sent_at"),
    createdAt: ts("created_at").notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("notification_outbox_once").on(t.notificationId),
    index("notification_outbox_due_idx").on(t.status, t.nextAttemptAt),
  ],
);

/** Per user and kind; a missing row means the default for that kind. */
export const notificationPreferences = pgTable(
  "notification_preferences",
  {
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id),
    kind: text("kind").notNull(),
    inApp: boolean("in_app").notNull(),
    email: boolean("email").notNull(),
    updatedAt: ts("updated_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.kind] })],
);

/**
 * How far the notifier has read each source (`events`, `copy_decisions`): `lastId` is done;
 * `markId`, seen at `markAt`, is processed once it is old enough that every transaction
 * holding a lower id has committed (ADR 0017).
 */
export const notifyCursors = pgTable("notify_cursors", {
  source: text("source").primaryKey(),
  lastId: bigint("last_id", { mode: "number" }).notNull().default(0),
  markId: bigint("mark_id", { mode: "number" }).notNull().default(0),
  markAt: ts("mark_at"),
});
