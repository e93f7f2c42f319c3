import "server-only";
import { and, desc, eq, inArray, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import {
  copyDecisions,
  copyPositions,
  copyRelationships,
  eventStreams,
  leaders,
  orders,
} from "../../db/schema";
import { D } from "../domain/money";
import { copyHealth, loadHealthFacts } from "./copy-health";
import { marks, pnlParts } from "./copy-valuation";

/** The caller's copies, newest first, with health and P&L. */
export async function listCopies(db: Db, userId: string, now: Date = new Date()) {
  const rels = await db
    .select({
      rel: copyRelationships,
      handle: leaders.handle,
      leaderName: leaders.displayName,
    })
    .from(copyRelationships)
    .innerJoin(leaders, eq(leaders.id, copyRelationships.leaderId))
    .where(eq(copyRelationships.followerId, userId))
    .orderBy(sql`${copyRelationships.status} = 'stopped'`, desc(copyRelationships.createdAt));
  if (rels.length === 0) return [];
  const ids = rels.map((r) => r.rel.id);
  const held = await db
    .select()
    .from(copyPositions)
    .where(inArray(copyPositions.relationshipId, ids));
  const m = await marks(db, [...new Set(held.map((h) => h.symbol))]);
  const streams = await db
    .select()
    .from(eventStreams)
    .where(inArray(eventStreams.stream, [...new Set(rels.map((r) => `leader:${r.rel.leaderId}`))]));
  const lastSeq = new Map(streams.map((s) => [s.stream, s.lastSeq]));
  const counts = await db
    .select({
      id: copyDecisions.relationshipId,
      skipped: sql<number>`count(*) filter (where ${copyDecisions.action} = 'skipped')::int`,
      reduced: sql<number>`count(*) filter (where ${copyDecisions.action} = 'reduced')::int`,
    })
    .from(copyDecisions)
    .where(inArray(copyDecisions.relationshipId, ids))
    .groupBy(copyDecisions.relationshipId);
  const countBy = new Map(counts.map((c) => [c.id, c]));
  const errors = await db
    .select({ id: orders.relationshipId, n: sql<number>`count(*)::int` })
    .from(orders)
    .where(
      and(inArray(orders.relationshipId, ids), inArray(orders.status, ["rejected", "unknown"])),
    )
    .groupBy(orders.relationshipId);
  const errBy = new Map(errors.map((e) => [e.id, e.n]));
  const facts = await loadHealthFacts(db, ids, now);
  return rels.map(({ rel, handle, leaderName }) => {
    const mine = held.filter((h) => h.relationshipId === rel.id);
    const pendingLeaderEvents =
      rel.status === "stopped"
        ? 0
        : Math.max(0, (lastSeq.get(`leader:${rel.leaderId}`) ?? 0) - rel.lastLeaderSeq);
    return {
      id: rel.id,
      leader: { id: rel.leaderId, handle, name: leaderName },
      status: rel.status,
      stopReason: rel.stopReason,
      sizingMode: rel.sizingMode,
      allocation: rel.allocation,
      referenceCapital: rel.referenceCapital,
      startedAt: rel.startedAt,
      lastReplicatedAt: rel.lastReplicatedAt,
      pendingLeaderEvents,
      copyStopLossPct: rel.copyStopLossPct,
      closeOnStop: rel.closeOnStop,
      healthLine: copyHealth({
        status: rel.status,
        stopReason: rel.stopReason,
        closeOnStop: rel.closeOnStop,
        copyStopLossPct: rel.copyStopLossPct,
        pendingLeaderEvents,
        skippedToday: facts.skipped.get(rel.id) ?? [],
        reducedToday: facts.reduced.get(rel.id) ?? [],
        rejectedToday: facts.rejected.get(rel.id) ?? [],
        waitingForMarket: facts.waiting.get(rel.id) ?? [],
      }),
      openPositions: mine.filter((h) => !D(h.qty).isZero()).length,
      pnl: pnlParts(mine, m),
      skipped: countBy.get(rel.id)?.skipped ?? 0,
      reduced: countBy.get(rel.id)?.reduced ?? 0,
      executionErrors: errBy.get(rel.id) ?? 0,
      asOf: now,
    };
  });
}
