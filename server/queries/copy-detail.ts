import "server-only";
import { and, asc, desc, eq, inArray } from "drizzle-orm";
import type { Db } from "../../db/client";
import {
  copyDecisions,
  copyPositions,
  copyRelationships,
  copySymbolRatios,
  equitySnapshots,
  eventStreams,
  leaderFills,
  leaderPositions,
  leaders,
  orders,
} from "../../db/schema";
import { performanceSummary } from "../domain/metrics";
import { D, fmt, ZERO } from "../domain/money";
import { sizingTarget } from "../domain/planner";
import { availableToAllocate } from "./accounts";
import { copyHealth, loadHealthFacts } from "./copy-health";
import { marks, pnlParts } from "./copy-valuation";
import { chartSeries, toSeries } from "../domain/series";

/**
 * The copy's target per instrument: its share of the leader's position, rounded toward zero
 * to the instrument's step (`sizingTarget`, the planner's); zero for a stopped copy that closes, none for
 * one that kept its positions. One small function on purpose: the planner in server/domain
 * will replace it.
 */
export function copyTargets(
  rel: {
    status: string;
    closeOnStop: boolean;
    sizingMode: string;
    ratio: string | null;
  },
  legs: Array<{ symbol: string; leaderQty: string; qtyStep: string | null }>,
  symbolRatios: Array<{ symbol: string; ratio: string }>,
): Map<string, string | null> {
  const out = new Map<string, string | null>();
  for (const { symbol, leaderQty, qtyStep } of legs) {
    const r =
      rel.sizingMode === "fixed_notional"
        ? (symbolRatios.find((s) => s.symbol === symbol)?.ratio ?? null)
        : rel.ratio;
    out.set(
      symbol,
      rel.status === "stopped"
        ? rel.closeOnStop
          ? "0"
          : null
        : r && qtyStep
          ? fmt(sizingTarget({ ratio: r, leaderPosition: leaderQty, qtyStep }))
          : D(leaderQty).isZero()
            ? "0"
            : null,
    );
  }
  return out;
}

/** One copy in full, for its owner only: null for anyone else (the router answers NOT_FOUND). */
export async function copyDetail(db: Db, userId: string, id: string, now: Date = new Date()) {
  const [row] = await db
    .select({ rel: copyRelationships, leader: leaders })
    .from(copyRelationships)
    .innerJoin(leaders, eq(leaders.id, copyRelationships.leaderId))
    .where(and(eq(copyRelationships.id, id), eq(copyRelationships.followerId, userId)));
  if (!row) return null;
  const { rel, leader } = row;
  const held = await db
    .select()
    .from(copyPositions)
    .where(eq(copyPositions.relationshipId, id))
    .orderBy(asc(copyPositions.symbol));
  const lpos = await db
    .select({ symbol: leaderPositions.symbol, qty: leaderPositions.qty })
    .from(leaderPositions)
    .where(eq(leaderPositions.leaderId, rel.leaderId));
  const symRatios = await db
    .select()
    .from(copySymbolRatios)
    .where(eq(copySymbolRatios.relationshipId, id));
  const symbols = [
    ...new Set([
      ...held.map((h) => h.symbol),
      ...lpos.filter((l) => !D(l.qty).isZero()).map((l) => l.symbol),
    ]),
  ].sort();
  const m = await marks(db, symbols);
  const working = await db
    .select({ symbol: orders.symbol, side: orders.side, qty: orders.qty, filled: orders.filledQty })
    .from(orders)
    .where(
      and(
        eq(orders.relationshipId, id),
        inArray(orders.status, [
          "pending_submit",
          "submitted",
          "accepted",
          "partially_filled",
          "unknown",
          "pending_cancel",
        ]),
      ),
    );
  const targets = copyTargets(
    rel,
    symbols.map((symbol) => ({
      symbol,
      leaderQty: lpos.find((l) => l.symbol === symbol)?.qty ?? "0",
      qtyStep: m.specs.get(symbol)?.qtyStep ?? null,
    })),
    symRatios,
  );
  const positions = symbols.map((symbol) => {
    const h = held.find((x) => x.symbol === symbol);
    const leaderQty = lpos.find((l) => l.symbol === symbol)?.qty ?? "0";
    const spec = m.specs.get(symbol);
    const target = targets.get(symbol) ?? null;
    const pending = working
      .filter((w) => w.symbol === symbol)
      .reduce(
        (a, w) =>
          a.plus(
            D(w.qty)
              .minus(w.filled)
              .times(w.side === "buy" ? 1 : -1),
          ),
        ZERO,
      );
    const qty = h?.qty ?? "0";
    const q = m.quotes.get(symbol);
    const parts = h ? pnlParts([h], m) : { total: "0", unrealized: "0", realized: "0", fees: "0" };
    return {
      symbol,
      qty,
      avgCost: h?.avgCost ?? "0",
      leaderQty,
      target,
      pendingQty: fmt(pending),
      inLine: target === null ? null : D(qty).plus(pending).eq(target),
      bid: q?.bid ?? null,
      ask: q?.ask ?? null,
      multiplier: spec?.multiplier ?? "1",
      currency: spec?.currency ?? "USD",
      ...parts,
    };
  });
  const decisions = await db
    .select({
      id: copyDecisions.id,
      at: copyDecisions.at,
      symbol: copyDecisions.symbol,
      target: copyDecisions.target,
      orderQty: copyDecisions.orderQty,
      action: copyDecisions.action,
      reason: copyDecisions.reason,
      checks: copyDecisions.checks,
      leaderFillId: copyDecisions.leaderFillId,
      leaderSide: leaderFills.side,
      leaderQty: leaderFills.qty,
      leaderPrice: leaderFills.price,
      leaderRecordedAt: leaderFills.recordedAt,
    })
    .from(copyDecisions)
    .leftJoin(
      leaderFills,
      and(
        eq(leaderFills.leaderId, rel.leaderId),
        eq(leaderFills.brokerTradeId, copyDecisions.leaderFillId),
      ),
    )
    .where(eq(copyDecisions.relationshipId, id))
    .orderBy(desc(copyDecisions.id))
    .limit(100);
  const recentOrders = await db
    .select({
      id: orders.id,
      symbol: orders.symbol,
      side: orders.side,
      type: orders.type,
      qty: orders.qty,
      filledQty: orders.filledQty,
      avgPrice: orders.avgPrice,
      status: orders.status,
      origin: orders.origin,
      rejectReason: orders.rejectReason,
      attempts: orders.attempts,
      createdAt: orders.createdAt,
      updatedAt: orders.updatedAt,
    })
    .from(orders)
    .where(eq(orders.relationshipId, id))
    .orderBy(desc(orders.createdAt))
    .limit(50);
  const [stream] = await db
    .select()
    .from(eventStreams)
    .where(eq(eventStreams.stream, `leader:${rel.leaderId}`));
  const latest = decisions.find((d) => d.leaderRecordedAt);
  const snaps = await db
    .select({
      day: equitySnapshots.day,
      equity: equitySnapshots.equity,
      netFlow: equitySnapshots.netFlow,
    })
    .from(equitySnapshots)
    .where(and(eq(equitySnapshots.ownerType, "copy"), eq(equitySnapshots.ownerId, id)))
    .orderBy(asc(equitySnapshots.day));
  const { series, flows } = toSeries(snaps);
  const funds = await availableToAllocate(db, rel.brokerAccountId, id);
  const facts = await loadHealthFacts(db, [id], now);
  const pendingLeaderEvents =
    rel.status === "stopped" ? 0 : Math.max(0, (stream?.lastSeq ?? 0) - rel.lastLeaderSeq);
  const healthLine = copyHealth({
    status: rel.status,
    stopReason: rel.stopReason,
    closeOnStop: rel.closeOnStop,
    copyStopLossPct: rel.copyStopLossPct,
    pendingLeaderEvents,
    skippedToday: facts.skipped.get(id) ?? [],
    reducedToday: facts.reduced.get(id) ?? [],
    rejectedToday: facts.rejected.get(id) ?? [],
    waitingForMarket: facts.waiting.get(id) ?? [],
    outOfLine: positions
      .filter((p) => p.inLine === false && D(p.pendingQty).isZero())
      .map((p) => p.symbol),
  });
  return {
    id: rel.id,
    leader: {
      id: leader.id,
      handle: leader.handle,
      name: leader.displayName,
      performanceFeePct: leader.performanceFeePct,
      copyable: leader.copyable,
    },
    status: rel.status,
    stopReason: rel.stopReason,
    stoppedAt: rel.stoppedAt,
    closeOnStop: rel.closeOnStop,
    sizingMode: rel.sizingMode,
    allocation: rel.allocation,
    factor: rel.factor,
    notional: rel.notional,
    ratio: rel.ratio,
    referenceCapital: rel.referenceCapital,
    limits: {
      copyStopLossPct: rel.copyStopLossPct,
      maxSymbolExposure: rel.maxSymbolExposure,
      maxOpenPositions: rel.maxOpenPositions,
      maxSlippageBps: rel.maxSlippageBps,
      dailyLossLimit: rel.dailyLossLimit,
    },
    onInsufficientFunds: rel.onInsufficientFunds,
    onLeaderFlag: rel.onLeaderFlag,
    agreementVersion: rel.agreementVersion,
    consentedAt: rel.consentedAt,
    startedAt: rel.startedAt,
    healthLine,
    health: {
      lastReplicatedAt: rel.lastReplicatedAt,
      pendingLeaderEvents,
      lastLatencyMs: latest?.leaderRecordedAt
        ? Math.max(0, latest.at.getTime() - latest.leaderRecordedAt.getTime())
        : null,
    },
    positions,
    pnl: pnlParts(held, m),
    decisions,
    orders: recentOrders,
    executionErrors: recentOrders.filter(
      (o) => o.status === "rejected" || o.status === "unknown" || o.rejectReason,
    ),
    chart: chartSeries(snaps),
    performance: snaps.length >= 2 ? performanceSummary({ series, flows }) : null,
    funds,
    asOf: now,
  };
}
