import { date, index, integer, jsonb, pgTable, text, uuid } from "drizzle-orm/pg-core";
import { dec, ts } from "./columns";
import { leaders } from "./leaders";

/**
 * Precomputed leader metrics, so discovery can sort, filter and paginate in the database
 * instead of recomputing every leader's history per request. Every value comes from
 * `performanceSummary` / `returnOverPeriod` (server/domain/metrics.ts) over the leader's
 * equity snapshots and closed trades; a row is refreshed when it is older than the
 * newest snapshot or past its maximum age (server/queries/leader-stats.ts).
 */
export const leaderStats = pgTable(
  "leader_stats",
  {
    leaderId: uuid("leader_id")
      .primaryKey()
      .references(() => leaders.id),
    computedAt: ts("computed_at").notNull(),
    /** Day of the newest equity snapshot the numbers include. */
    asOfDay: date("as_of_day", { mode: "string" }),
    snapshotCount: integer("snapshot_count").notNull().default(0),
    return1m: dec("return_1m"),
    return3m: dec("return_3m"),
    return1y: dec("return_1y"),
    returnAll: dec("return_all"),
    maxDrawdown: dec("max_drawdown"),
    volatility: dec("volatility"),
    sharpe: dec("sharpe"),
    riskScore: integer("risk_score"),
    winRate: dec("win_rate"),
    tradesPerWeek: dec("trades_per_week"),
    averageHoldingHours: dec("average_holding_hours"),
    closedTrades: integer("closed_trades").notNull().default(0),
    /** Symbols and asset classes traded, for the instrument filter. */
    symbols: text("symbols").array().notNull().default([]),
    assetClasses: text("asset_classes").array().notNull().default([]),
    instrumentFocus: jsonb("instrument_focus")
      .$type<Array<{ symbol: string; trades: number; share: string }>>()
      .notNull()
      .default([]),
  },
  (t) => [
    index("leader_stats_return_1y_idx").on(t.return1y),
    index("leader_stats_risk_idx").on(t.riskScore),
  ],
);
