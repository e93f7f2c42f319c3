import "server-only";
import { and, eq, gte, inArray, or, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { copyDecisions, instruments, orders } from "../../db/schema";
import { isMarketOpen } from "../market/hours";
import { OPEN_ORDER_STATUSES } from "./leader-console";

/**
 * A copy's health as one structured line: the browser puts it in words
 * (components/reason-words.ts). Worst first: a stop says why; then a pause; then orders the
 * broker refused; then orders waiting for a closed market; then trades skipped or reduced
 * today (with their reasons); then leader trades still to copy; then positions out of line.
 * Only when none of these holds is the copy "in sync".
 */
export type Health =
  | { kind: "stopped"; reason: string; closeOnStop: boolean; stopLossPct: string | null }
  | { kind: "paused"; skippedToday: number }
  | { kind: "errors"; count: number; reasons: string[] }
  | { kind: "waiting_market"; symbols: string[] }
  | { kind: "skipped"; skipped: number; reduced: number; reasons: string[] }
  | { kind: "catching_up"; pending: number }
  | { kind: "out_of_line"; symbols: string[] }
  | { kind: "in_sync" };

export type HealthFacts = {
  status: string;
  stopReason: string | null;
  closeOnStop: boolean;
  copyStopLossPct: string | null;
  pendingLeaderEvents: number;
  /** Today's (UTC) skipped and reduced decisions by reason, most frequent first. */
  skippedToday: Array<{ reason: string; n: number }>;
  reducedToday: Array<{ reason: string; n: number }>;
  /** Orders refused by the broker today, by reason (market-closed ones excluded). */
  rejectedToday: Array<{ reason: string; n: number }>;
  /** Instruments with a copy order waiting while its market is closed. */
  waitingForMarket: string[];
  /** Instruments where the copy differs from its target with no order working (detail only). */
  outOfLine?: string[];
};

export function copyHealth(f: HealthFacts): Health {
  if (f.status === "stopped")
    return {
      kind: "stopped",
      reason: f.stopReason ?? "STOPPED",
      closeOnStop: f.closeOnStop,
      stopLossPct: f.copyStopLossPct,
    };
  const skipped = f.skippedToday.reduce((a, r) => a + r.n, 0);
  const reduced = f.reducedToday.reduce((a, r) => a + r.n, 0);
  if (f.status === "paused") return { kind: "paused", skippedToday: skipped };
  const rejected = f.rejectedToday.reduce((a, r) => a + r.n, 0);
  if (rejected > 0)
    return { kind: "errors", count: rejected, reasons: f.rejectedToday.map((r) => r.reason) };
  if (f.waitingForMarket.length > 0) return { kind: "waiting_market", symbols: f.waitingForMarket };
  if (skipped + reduced > 0) {
    const byReason = new Map<string, number>();
    for (const r of [...f.skippedToday, ...f.reducedToday])
      byReason.set(r.reason, (byReason.get(r.reason) ?? 0) + r.n);
    const reasons = [...byReason.entries()].sort((a, b) => b[1] - a[1]).map(([r]) => r);
    return { kind: "skipped", skipped, reduced, reasons };
  }
  if (f.pendingLeaderEvents > 0) return { kind: "catching_up", pending: f.pendingLeaderEvents };
  if (f.outOfLine && f.outOfLine.length > 0) return { kind: "out_of_line", symbols: f.outOfLine };
  return { kind: "in_sync" };
}

export function startOfUtcDay(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}

type Counted = Map<string, Array<{ reason: string; n: number }>>;

/** Today's decisions, rejections and market waits for a set of copies, in three queries. */
export async function loadHealthFacts(db: Db, ids: string[], now: Date) {
  const since = startOfUtcDay(now);
  const skipped: Counted = new Map();
  const reduced: Counted = new Map();
  const rejected: Counted = new Map();
  const waiting = new Map<string, string[]>();
  if (ids.length === 0) return { skipped, reduced, rejected, waiting };
  const push = (m: Counted, id: string, reason: string, n: number) =>
    m.set(id, [...(m.get(id) ?? []), { reason, n }]);

  const decisions = await db
    .select({
      id: copyDecisions.relationshipId,
      action: copyDecisions.action,
      reason: copyDecisions.reason,
      n: sql<number>`count(*)::int`,
    })
    .from(copyDecisions)
    .where(
      and(
        inArray(copyDecisions.relationshipId, ids),
        inArray(copyDecisions.action, ["skipped", "reduced"]),
        gte(copyDecisions.at, since),
      ),
    )
    .groupBy(copyDecisions.relationshipId, copyDecisions.action, copyDecisions.reason)
    .orderBy(sql`count(*) desc`);
  for (const d of decisions) push(d.action === "skipped" ? skipped : reduced, d.id, d.reason, d.n);

  const recent = await db
    .select({
      id: orders.relationshipId,
      symbol: orders.symbol,
      status: orders.status,
      rejectReason: orders.rejectReason,
      tradingHours: instruments.tradingHours,
    })
    .from(orders)
    .innerJoin(instruments, eq(instruments.symbol, orders.symbol))
    .where(
      and(
        inArray(orders.relationshipId, ids),
        or(
          inArray(orders.status, [...OPEN_ORDER_STATUSES]),
          and(inArray(orders.status, ["rejected", "unknown"]), gte(orders.updatedAt, since)),
        ),
      ),
    );
  const rejectCounts = new Map<string, Map<string, number>>();
  for (const o of recent) {
    if (!o.id) continue;
    const open = isMarketOpen({ tradingHours: o.tradingHours }, now);
    const marketClosedNow = !open;
    const isOpenOrder = (OPEN_ORDER_STATUSES as readonly string[]).includes(o.status);
    if (marketClosedNow && (isOpenOrder || o.rejectReason === "MARKET_CLOSED")) {
      const list = waiting.get(o.id) ?? [];
      if (!list.includes(o.symbol)) waiting.set(o.id, [...list, o.symbol]);
      continue;
    }
    if (isOpenOrder || o.rejectReason === "MARKET_CLOSED") continue;
    const reason = o.status === "unknown" ? "UNKNOWN_OUTCOME" : (o.rejectReason ?? "REJECTED");
    const m = rejectCounts.get(o.id) ?? new Map<string, number>();
    m.set(reason, (m.get(reason) ?? 0) + 1);
    rejectCounts.set(o.id, m);
  }
  for (const [id, m] of rejectCounts)
    for (const [reason, n] of [...m.entries()].sort((a, b) => b[1] - a[1]))
      push(rejected, id, reason, n);
  return { skipped, reduced, rejected, waiting };
}
