import { and, desc, eq, isNull } from "drizzle-orm";
import type { Db } from "../../db/client";
import { leaderFlags, leaderVerifications, leaders } from "../../db/schema";
import { LEADER_FILLS_PER_MINUTE_LIMIT } from "../engine/risk/breakers";
import {
  FLAG_END_WORDS,
  LEADER_FLAG_CHOICES,
  strategyChangeRuleWords,
} from "../domain/strategy-change";
import { autoBreakerRuleWords, VERIFIED_RULE_WORDS } from "../domain/verified";

/** Every trust rule in words (ADR 0035, 0036): the profile and the agreement show these. */
export function trustRules() {
  return {
    verified: VERIFIED_RULE_WORDS,
    flagged: strategyChangeRuleWords(),
    choices: (Object.keys(LEADER_FLAG_CHOICES) as Array<keyof typeof LEADER_FLAG_CHOICES>).map(
      (k) => ({ choice: k, ...LEADER_FLAG_CHOICES[k] }),
    ),
    flagEnds: FLAG_END_WORDS,
    breakers: autoBreakerRuleWords(undefined, LEADER_FILLS_PER_MINUTE_LIMIT),
  };
}
export type TrustRules = ReturnType<typeof trustRules>;

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
    })
    .from(leaderFlags)
    .innerJoin(leaders, eq(leaders.id, leaderFlags.leaderId))
    .where(isNull(leaderFlags.closedAt))
    .orderBy(desc(leaderFlags.openedAt));
}
