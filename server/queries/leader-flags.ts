import { and, desc, eq, isNull, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { copyRelationships, leaderFlags, leaderVerifications, leaders } from "../../db/schema";
import { LEADER_FILLS_PER_MINUTE_LIMIT } from "../engine/risk/breakers";
import { trustRules as rulesInWords } from "../domain/verified";

/** The rules in words with the engine's own fill-rate limit. */
export const trustRules = () => rulesInWords(LEADER_FILLS_PER_MINUTE_LIMIT);

/**
 * What a profile shows about trust: the badge (from the worker's last check against the
 * broker) with the reasons when it is missing, and an open strategy-change flag. Public, as
 * the profile is; figures meant for support (mismatching trade ids) are left out.
 */
export async function leaderTrust(db: Db, handle: string) {
  const [l] = await db
    .select({ id: leaders.id })
    .from(leaders)
    .where(eq(leaders.handle, handle))
    .limit(1);
  if (!l) return null;
  const [v] = await db
    .select()
    .from(leaderVerifications)
    .where(eq(leaderVerifications.leaderId, l.id));
  const [flag] = await db
    .select({
      id: leaderFlags.id,
      reason: leaderFlags.reason,
      openedAt: leaderFlags.openedAt,
    })
    .from(leaderFlags)
    .where(and(eq(leaderFlags.leaderId, l.id), isNull(leaderFlags.closedAt)))
    .orderBy(desc(leaderFlags.openedAt))
    .limit(1);
  return {
    verification: v
      ? {
          verified: v.verified,
          fillsChecked: v.fillsChecked,
          fillsMatched: v.fillsMatched,
          reasons: v.reasons,
          checkedAt: v.checkedAt,
          verifiedSince: v.verifiedSince,
        }
      : null,
    flag: flag ?? null,
    rules: trustRules(),
  };
}
export type LeaderTrust = NonNullable<Awaited<ReturnType<typeof leaderTrust>>>;

/** Open flags for the admin page, newest first. */
export async function openLeaderFlags(db: Db) {
  return db
    .select({
      id: leaderFlags.id,
      leaderId: leaderFlags.leaderId,
      handle: leaders.handle,
      displayName: leaders.displayName,
      reason: leaderFlags.reason,
      figures: leaderFlags.figures,
      openedAt: leaderFlags.openedAt,
      // Who the flag touches: live copies of the leader, and those whose owners chose to have
      // increases paused on a flag (the rest are only told).
      followers: sql<number>`(select count(*)::int from ${copyRelationships} c where c.leader_id = ${leaderFlags.leaderId} and c.status <> 'stopped')`,
      pausedFollowers: sql<number>`(select count(*)::int from ${copyRelationships} c where c.leader_id = ${leaderFlags.leaderId} and c.status <> 'stopped' and c.on_leader_flag = 'pause_increases')`,
    })
    .from(leaderFlags)
    .innerJoin(leaders, eq(leaders.id, leaderFlags.leaderId))
    .where(isNull(leaderFlags.closedAt))
    .orderBy(desc(leaderFlags.openedAt));
}
