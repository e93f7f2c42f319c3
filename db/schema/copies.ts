import {
  bigint,
  boolean,
  integer,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  uuid,
  index,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { sql } from "drizzle-orm";
import { createdAt, dec, ts } from "./columns";
import { users } from "./users";
import { leaders } from "./leaders";
import { brokerAccounts } from "./accounts";
import { instruments } from "./instruments";

export const copyStatus = pgEnum("copy_status", ["active", "paused", "stopped"]);
export const sizingMode = pgEnum("sizing_mode", ["proportional", "multiplier", "fixed_notional"]);
export const insufficientFundsPolicy = pgEnum("insufficient_funds_policy", ["reduce", "skip"]);
/** What a copy does while its leader is flagged for a strategy change (ADR 0035). */
export const leaderFlagPolicy = pgEnum("leader_flag_policy", ["notify", "pause_increases"]);

export const copyRelationships = pgTable(
  "copy_relationships",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    followerId: uuid("follower_id")
      .notNull()
      .references(() => users.id),
    leaderId: uuid("leader_id")
      .notNull()
      .references(() => leaders.id),
    brokerAccountId: uuid("broker_account_id")
      .notNull()
      .references(() => brokerAccounts.id),
    status: copyStatus("status").notNull().default("active"),
    sizingMode: sizingMode("sizing_mode").notNull().default("proportional"),
    allocation: dec("allocation"),
    factor: dec("factor"),
    notional: dec("notional"),
    /** Current proportional/multiplier ratio r; fixed_notional ratios live per symbol. */
    ratio: dec("ratio"),
    ratioFixedAt: ts("ratio_fixed_at"),
    /** Reference capital for the copy stop-loss (allocation, else cash at start). */
    referenceCapital: dec("reference_capital").notNull(),
    copyStopLossPct: dec("copy_stop_loss_pct"),
    maxSymbolExposure: dec("max_symbol_exposure"),
    maxOpenPositions: integer("max_open_positions"),
    maxSlippageBps: integer("max_slippage_bps"),
    dailyLossLimit: dec("daily_loss_limit"),
    onInsufficientFunds: insufficientFundsPolicy("on_insufficient_funds")
      .notNull()
      .default("reduce"),
    onLeaderFlag: leaderFlagPolicy("on_leader_flag").notNull().default("notify"),
    copyOpenPositions: boolean("copy_open_positions").notNull().default(false),
    agreementVersion: text("agreement_version").notNull(),
    consentedAt: ts("consented_at").notNull(),
    startedAt: ts("started_at").notNull(),
    stoppedAt: ts("stopped_at"),
    stopReason: text("stop_reason"),
    /** Whether stopping closes the copy's positions (the worker does it). */
    closeOnStop: boolean("close_on_stop").notNull().default(true),
    /** Highest leader event seq this copy has been brought up to. */
    lastLeaderSeq: bigint("last_leader_seq", { mode: "number" }).notNull().default(0),
    lastReplicatedAt: ts("last_replicated_at"),
    /*
     * Fees (replay-format.md, "Fees"): the agreed terms, and where the copy stands. Every
     * fee charged is also a row of copy_fees and a ledger journal; these are projections.
     */
    performanceFeePct: dec("performance_fee_pct"),
    managementFeePctYear: dec("management_fee_pct_year"),
    platformFeeBps: dec("platform_fee_bps"),
    feePeriod: text("fee_period").$type<"month" | "quarter">().notNull().default("month"),
    /** Starts at the reference capital; moves with allocation changes and after each period. */
    highWaterMark: dec("high_water_mark"),
    /** Fees charged so far (all kinds): the copy's equity is net of them. */
    feesCharged: dec("fees_charged").notNull().default("0"),
    /** Management fee accrued in the current period, not yet charged. */
    feesAccrued: dec("fees_accrued").notNull().default("0"),
    /** The last 00:00 UTC whose fees were applied: several workers never apply one twice. */
    feesAppliedAt: ts("fees_applied_at"),
    /** Set once a stopped copy's period so far has been settled. */
    feesSettledAt: ts("fees_settled_at"),
    createdAt: createdAt(),
  },
  (t) => [
    index("copy_rel_leader_idx").on(t.leaderId, t.status),
    index("copy_rel_follower_idx").on(t.followerId),
    // One live copy per follower and leader, whatever the races between requests.
    uniqueIndex("copy_rel_one_live_idx")
      .on(t.followerId, t.leaderId)
      .where(sql`${t.status} <> 'stopped'`),
  ],
);

/** fixed_notional: r per instrument, fixed when the leader opens from flat, cleared when flat. */
export const copySymbolRatios = pgTable(
  "copy_symbol_ratios",
  {
    relationshipId: uuid("relationship_id")
      .notNull()
      .references(() => copyRelationships.id),
    symbol: text("symbol")
      .notNull()
      .references(() => instruments.symbol),
    ratio: dec("ratio").notNull(),
  },
  (t) => [primaryKey({ columns: [t.relationshipId, t.symbol] })],
);

/** The part of an account's position attributable to one copy. */
export const copyPositions = pgTable(
  "copy_positions",
  {
    relationshipId: uuid("relationship_id")
      .notNull()
      .references(() => copyRelationships.id),
    symbol: text("symbol")
      .notNull()
      .references(() => instruments.symbol),
    qty: dec("qty").notNull().default("0"),
    avgCost: dec("avg_cost").notNull().default("0"),
    realizedPnl: dec("realized_pnl").notNull().default("0"),
    fees: dec("fees").notNull().default("0"),
    updatedAt: ts("updated_at").notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.relationshipId, t.symbol] }),
    // The copy stop-loss runs on every quote: it finds the copies holding that symbol.
    index("copy_positions_symbol_idx").on(t.symbol),
  ],
);

export const copyFees = pgTable(
  "copy_fees",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    relationshipId: uuid("relationship_id")
      .notNull()
      .references(() => copyRelationships.id),
    kind: text("kind").$type<"platform" | "management" | "performance">().notNull(),
    at: ts("at").notNull(),
    amount: dec("amount").notNull(),
    /** "2026-01" or "2026-Q1"; null for platform fees. */
    period: text("period"),
    /** What the fee was computed on (notional, equity, or the gain above the mark) and the rate. */
    base: dec("base").notNull(),
    rate: dec("rate").notNull(),
    /** The fill a platform fee was charged with. */
    fillTradeId: text("fill_trade_id"),
  },
  (t) => [
    index("copy_fees_rel_idx").on(t.relationshipId, t.at),
    uniqueIndex("copy_fees_platform_once").on(t.relationshipId, t.fillTradeId),
  ],
);
