import { pgTable, text, uuid, unique } from "drizzle-orm/pg-core";
import { createdAt, ts } from "./columns";
import { users } from "./users";

/**
 * A user's account at a broker. The platform never holds the money; this row tells the
 * worker which broker adapter and which account id to trade through.
 *
 * For a connected account at a real broker (Alpaca) it also holds the API key: the key id
 * in clear (shown as `PK…1234`), the secret sealed with the secret box (AES-256-GCM, bound
 * to this row's id, docs/adr/0021) — never logged, never sent to the browser — and what the
 * last conversation with the broker said (sync state), which the account's owner can read.
 */
export const brokerAccounts = pgTable(
  "broker_accounts",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id),
    broker: text("broker").notNull().default("paper"),
    externalId: text("external_id").notNull(),
    currency: text("currency").notNull().default("USD"),
    label: text("label").notNull().default("Main"),
    createdAt: createdAt(),
    /** `paper` (simulated money: Tandem's paper broker or Alpaca paper) or `live`. */
    mode: text("mode").notNull().default("paper"),
    /** The broker's API key id (not secret); null for the paper broker and once disconnected. */
    apiKeyId: text("api_key_id"),
    /** The API secret, sealed (`v1:<keyId>:<iv>:<tag>:<ciphertext>`); null once disconnected. */
    apiSecretSealed: text("api_secret_sealed"),
    /** `ok`, `refused` (the broker refuses orders: trading blocked, PDT…), `error`, `disconnected`. */
    syncState: text("sync_state").notNull().default("ok"),
    /** In words, when the state is not ok: what the broker said. */
    syncProblem: text("sync_problem"),
    syncedAt: ts("synced_at"),
    connectedAt: ts("connected_at"),
    disconnectedAt: ts("disconnected_at"),
  },
  (t) => [unique("broker_accounts_broker_external").on(t.broker, t.externalId)],
);

/**
 * For a leader whose trading account is at a real broker: how far the leader's fills there
 * (made in the broker's own app, not in Tandem) have been read into the leader stream —
 * the broker's own cursor (Alpaca: the last FILL activity id). Ingestion is idempotent by
 * trade id, so a cursor saved late only means re-reading fills that are then ignored.
 */
export const externalLeaderCursors = pgTable("external_leader_cursors", {
  brokerAccountId: uuid("broker_account_id")
    .primaryKey()
    .references(() => brokerAccounts.id),
  cursor: text("cursor"),
  /**
   * When the account became the leader's trading account: fills before it are history from
   * before Tandem (not trades to copy), so they are not ingested.
   */
  since: ts("since").notNull(),
  updatedAt: ts("updated_at").notNull(),
});
