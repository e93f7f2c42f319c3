import { bigint, index, integer, pgTable, text, uuid, varchar } from "drizzle-orm/pg-core";
import { createdAt, ts } from "./columns";
import { users } from "./users";

/**
 * One row per signed-in browser. The session cookie (a next-auth JWT) carries only this row's
 * id; every request looks the row up, so revoking it (sign-out, sign-out everywhere, a
 * password change) ends the session on the next request, and the role is read from `users`
 * each time instead of from the cookie (docs/adr/0010).
 */
export const sessions = pgTable(
  "sessions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
    expiresAt: ts("expires_at").notNull(),
    lastSeenAt: ts("last_seen_at").notNull().defaultNow(),
    revokedAt: ts("revoked_at"),
    /** sign_out, sign_out_everywhere, password_changed, ... */
    revokedReason: text("revoked_reason"),
    ip: text("ip"),
    userAgent: text("user_agent"),
  },
  (t) => [index("sessions_user_idx").on(t.userId, t.revokedAt)],
);

/**
 * rate-limiter-flexible's PostgreSQL store (RateLimiterPostgres), in the exact shape that
 * library creates itself: declared here so the migration creates it and the app role never
 * needs CREATE at run time. `expire` is epoch milliseconds, as the library writes it.
 */
export const rateLimits = pgTable("rate_limits", {
  key: varchar("key", { length: 255 }).primaryKey(),
  points: integer("points").notNull().default(0),
  expire: bigint("expire", { mode: "number" }),
});
