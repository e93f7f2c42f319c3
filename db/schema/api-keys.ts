import { index, pgTable, primaryKey, text, uuid } from "drizzle-orm/pg-core";
import { createdAt, ts } from "./columns";
import { leaders } from "./leaders";
import { orders } from "./trading";
import { users } from "./users";

/**
 * A leader's keys for the signed strategy API (docs/adr/0055). The secret is an HMAC key the
 * server must be able to use, so it is sealed with the secret box (AES-256-GCM, bound to the
 * row id) rather than hashed; it is shown once when created and never again.
 */
export const apiKeys = pgTable(
  "api_keys",
  {
    id: uuid("id").primaryKey(),
    /** The public half, sent in `Tandem-Key` and shown in the list (like a user name). */
    keyId: text("key_id").notNull().unique(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id),
    leaderId: uuid("leader_id")
      .notNull()
      .references(() => leaders.id),
    label: text("label").notNull().default(""),
    /** `trade` (place orders) and/or `read` (orders, positions, account). */
    scopes: text("scopes").array().notNull(),
    sealedSecret: text("sealed_secret").notNull(),
    createdAt: createdAt(),
    lastUsedAt: ts("last_used_at"),
    revokedAt: ts("revoked_at"),
  },
  (t) => [index("api_keys_leader_idx").on(t.leaderId, t.createdAt)],
);

/**
 * Nonces seen per key. The primary key is the replay check: a second insert of the same
 * nonce fails in the database, however many web processes race. Rows older than twice the
 * clock window are pruned: by then a request carrying them is refused as stale anyway.
 */
export const apiNonces = pgTable(
  "api_nonces",
  {
    apiKeyId: uuid("api_key_id")
      .notNull()
      .references(() => apiKeys.id),
    nonce: text("nonce").notNull(),
    seenAt: ts("seen_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.apiKeyId, t.nonce] }),
    index("api_nonces_seen_idx").on(t.seenAt),
  ],
);

/**
 * `Idempotency-Key` per API key: the first request claims the key (primary key) in the same
 * transaction as its order, so a retry, even a concurrent one, finds that order and returns it.
 */
export const apiIdempotency = pgTable(
  "api_idempotency",
  {
    apiKeyId: uuid("api_key_id")
      .notNull()
      .references(() => apiKeys.id),
    idempotencyKey: text("idempotency_key").notNull(),
    /** SHA-256 of the request body: the same key with another body is a client bug (422). */
    bodyHash: text("body_hash").notNull(),
    orderId: uuid("order_id").references(() => orders.id),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.apiKeyId, t.idempotencyKey] })],
);

export const API_SCOPES = ["trade", "read"] as const;
export type ApiScope = (typeof API_SCOPES)[number];
