/**
 * The words of the leader list that pages and the query share: how it sorts, which asset
 * classes it filters by, and how much history a leader needs before followers may copy them.
 * Pure constants, so pages import them from here rather than from a query module.
 */
/** A leader needs this much history before followers may copy them. */
export const MIN_TRACK_RECORD_DAYS = 30;

export const LEADER_SORTS = [
  "return_1m",
  "return_3m",
  "return_1y",
  "return_all",
  "max_drawdown",
  "risk_score",
  "followers",
  "track_record",
  "name",
] as const;
export type LeaderSort = (typeof LEADER_SORTS)[number];
export const ASSET_CLASSES = ["equity", "etf", "fx", "future", "crypto"] as const;
