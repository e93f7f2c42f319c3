import { bigserial, index, jsonb, pgTable, text, uuid } from "drizzle-orm/pg-core";
import { ts } from "./columns";

/** Who did what to what: every sign-in, consent, admin action and manual order. */
export const auditLog = pgTable(
  "audit_log",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    actorUserId: uuid("actor_user_id"),
    action: text("action").notNull(),
    targetType: text("target_type"),
    targetId: text("target_id"),
    details: jsonb("details").$type<Record<string, unknown>>().notNull().default({}),
    /**
     * Where the request came from. Filled from the transaction-local settings
     * `tandem.ip` / `tandem.user_agent` by a trigger when the writer does not pass them, so
     * engine code that writes audit rows inside a request's transaction gets them for free.
     */
    ip: text("ip"),
    userAgent: text("user_agent"),
    at: ts("at").notNull().defaultNow(),
  },
  (t) => [
    index("audit_actor_idx").on(t.actorUserId, t.at),
    index("audit_target_idx").on(t.targetType, t.targetId),
    index("audit_action_idx").on(t.action, t.at),
    index("audit_at_idx").on(t.at),
  ],
);

/** Who is asking, for the audit row of a request: absent outside a request (the worker). */
export type RequestMeta = { ip?: string | null; userAgent?: string | null };
