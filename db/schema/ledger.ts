import { bigserial, bigint, index, pgTable, text, unique, uuid } from "drizzle-orm/pg-core";
import { sql } from "drizzle-orm";
import { dec, ts } from "./columns";

/**
 * Double-entry ledger. Balances are never edited: every movement (deposit, trade cash,
 * commission, performance fee) is a journal whose postings sum to zero per currency.
 */
export const ledgerAccounts = pgTable(
  "ledger_accounts",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    /** e.g. "user:<uuid>:cash", "platform:commissions", "external:bank". */
    code: text("code").notNull(),
    currency: text("currency").notNull(),
    ownerUserId: uuid("owner_user_id"),
  },
  (t) => [unique("ledger_accounts_code_ccy").on(t.code, t.currency)],
);

export const journals = pgTable(
  "journals",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    kind: text("kind").notNull(),
    description: text("description").notNull(),
    correlationId: text("correlation_id"),
    orderId: uuid("order_id"),
    relationshipId: uuid("relationship_id"),
    at: ts("at").notNull(),
  },
  (t) => [
    // The day's deposits and withdrawals (equity snapshots' cash flows) without scanning
    // every trade's journal; partial, so booking a fill writes nothing to it.
    index("journals_cash_flows_at_idx")
      .on(t.at)
      .where(sql`${t.kind} in ('deposit', 'withdrawal')`),
  ],
);

/**
 * Append-only, two to four rows per booked fill. No foreign keys, by decision (ADR 0070):
 * postings are written with their journal and looked-up ledger accounts in one transaction,
 * and `bookkeepingIntegrityProblems` (server/engine/book/integrity.ts) asserts after every
 * replay and chaos run that none is orphaned and every journal balances.
 */
export const postings = pgTable(
  "postings",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    journalId: bigint("journal_id", { mode: "number" }).notNull(),
    ledgerAccountId: uuid("ledger_account_id").notNull(),
    amount: dec("amount").notNull(),
    currency: text("currency").notNull(),
  },
  (t) => [
    index("postings_account_idx").on(t.ledgerAccountId),
    index("postings_journal_idx").on(t.journalId),
  ],
);
