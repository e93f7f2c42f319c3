import { and, asc, eq, gte } from "drizzle-orm";
import type { Db } from "../../db/client";
import { copyRelationships, equitySnapshots } from "../../db/schema";
import { presentAttribution, type WhyDifferent } from "../domain/attribution";
import { loadAttribution } from "../engine/ops/attribution";
import { D, fmt } from "../domain/money";
import { chartSeries } from "../domain/series";

export async function whyDifferent(db: Db, relationshipId: string): Promise<WhyDifferent | null> {
  const loaded = await loadAttribution(db, relationshipId);
  return loaded ? presentAttribution(loaded.attribution, loaded.currency) : null;
}

export type GrowthPoint = { day: string; you: string; leader: string };

/**
 * "You vs the leader" from the day the copy started: each one's growth from its daily
 * snapshots (the metrics module's time-weighted chain, deposits neutral, as every chart),
 * rebased to the copy's first day, and a last point "now" with the two returns the
 * waterfall explains, so the chart ends where the waterfall starts and ends.
 */
export async function growthVsLeader(
  db: Db,
  relationshipId: string,
  now: WhyDifferent | null,
): Promise<GrowthPoint[]> {
  const [rel] = await db
    .select()
    .from(copyRelationships)
    .where(eq(copyRelationships.id, relationshipId));
  if (!rel) return [];
  const from = rel.startedAt.toISOString().slice(0, 10);
  const rows = async (ownerType: "copy" | "leader", ownerId: string) =>
    db
      .select({
        day: equitySnapshots.day,
        equity: equitySnapshots.equity,
        netFlow: equitySnapshots.netFlow,
      })
      .from(equitySnapshots)
      .where(
        and(
          eq(equitySnapshots.ownerType, ownerType),
          eq(equitySnapshots.ownerId, ownerId),
          gte(equitySnapshots.day, from),
        ),
      )
      .orderBy(asc(equitySnapshots.day));
  const you = new Map(
    chartSeries(await rows("copy", relationshipId)).map((p) => [p.day, p.growth]),
  );
  const leader = chartSeries(await rows("leader", rel.leaderId));
  const points: GrowthPoint[] = leader
    .filter((p) => you.has(p.day))
    .map((p) => ({ day: p.day, you: you.get(p.day)!, leader: p.growth }));
  if (now) {
    const today = new Date().toISOString().slice(0, 10);
    const last = points.at(-1);
    const point = {
      day: today,
      you: fmt(D(now.copyPnl).div(now.capital).toDecimalPlaces(6)),
      leader: fmt(D(now.leaderPnl).div(now.capital).toDecimalPlaces(6)),
    };
    if (last?.day === today) points[points.length - 1] = point;
    else points.push(point);
    if (points.length === 1) points.unshift({ day: from, you: "0", leader: "0" });
  }
  return points;
}
