import {
  bigint,
  bigserial,
  index,
  jsonb,
  pgEnum,
  pgTable,
  text,
  unique,
  uuid,
} from "drizzle-orm/pg-core";
import { dec, riskChecks, ts } from "./columns";

export const decisionAction = pgEnum("decision_action", ["placed", "reduced", "skipped", "none"]);

/**
 * One row per (leader fill, relationship): what support reads to answer "why did my copy do
 * that?". `checks` holds every risk check evaluated with its outcome.
 */
export const copyDecisions = pgTable(
  "copy_decisions",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    // No foreign key (ADR 0071): the fan-out writes decisions for the copies it has just
    // read and updated in the same transaction; book/integrity.ts asserts the link.
    relationshipId: uuid("relationship_id").notNull(),
    /** Null for a stop's or stop-loss's closing decisions: no leader fill caused them. */
    leaderFillId: text("leader_fill_id"),
    /** The leader event the decision follows (for a stop: the last one the copy had seen). */
    leaderEventSeq: bigint("leader_event_seq", { mode: "number" }).notNull(),
    symbol: text("symbol").notNull(),
    target: dec("target").notNull(),
    orderQty: dec("order_qty").notNull(),
    action: decisionAction("action").notNull(),
    reason: text("reason").notNull(),
    /** Every check evaluated, in order, stored as triples (columns.ts `riskChecks`). */
    checks: riskChecks("checks").notNull(),
    clientOrderId: text("client_order_id"),
    at: ts("at").notNull(),
  },
  (t) => [
    unique("copy_decisions_once").on(t.relationshipId, t.leaderFillId),
    index("copy_decisions_rel_idx").on(t.relationshipId, t.at),
  ],
);

export const breakerScope = pgEnum("breaker_scope", ["global", "leader", "instrument", "broker"]);

export const circuitBreakers = pgTable(
  "circuit_breakers",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    scope: breakerScope("scope").notNull(),
    /** leader id, symbol or broker name; "*" for global. */
    scopeKey: text("scope_key").notNull(),
    reason: text("reason").notNull(),
    openedBy: text("opened_by").notNull(),
    openedAt: ts("opened_at").notNull(),
    closedAt: ts("closed_at"),
    closedBy: text("closed_by"),
  },
  (t) => [index("breakers_open_idx").on(t.scope, t.scopeKey, t.closedAt)],
);

export const reconciliationRuns = pgTable("reconciliation_runs", {
  id: uuid("id").primaryKey().defaultRandom(),
  trigger: text("trigger").$type<"startup" | "periodic" | "on_demand" | "drain">().notNull(),
  startedAt: ts("started_at").notNull(),
  finishedAt: ts("finished_at"),
  mismatches: bigint("mismatches", { mode: "number" }).notNull().default(0),
  actions: bigint("actions", { mode: "number" }).notNull().default(0),
});

export const reconciliationItems = pgTable("reconciliation_items", {
  id: bigserial("id", { mode: "number" }).primaryKey(),
  runId: uuid("run_id")
    .notNull()
    .references(() => reconciliationRuns.id),
  kind: text("kind").notNull(),
  brokerAccountId: uuid("broker_account_id"),
  relationshipId: uuid("relationship_id"),
  symbol: text("symbol"),
  expected: text("expected"),
  actual: text("actual"),
  action: text("action").notNull(),
  detail: jsonb("detail").$type<Record<string, unknown>>().notNull().default({}),
  at: ts("at").notNull(),
});
