import { eq, sql } from "drizzle-orm";
import {
  copyFeeTerms,
  copyRelationships,
  feeSchedules,
  leaders,
  platformFeeSettings,
} from "../../../db/schema";
import {
  checkLeaderFees,
  checkPlatformFees,
  nextPeriodStart,
  type FeePeriod,
  type LeaderFeeInput,
} from "../../domain/fees";
import { D } from "../../domain/money";
import { actorFromBy as actor, CopyError, writeAudit } from "../copies/intents";
import { appendEvents, copyStream, type Tx } from "../core/streams";
import type { EngineDeps } from "../deps";
import { latestSchedule, platformSettings } from "./schedule";

/*
 * Fee changes and consent (docs/adr/0061). A leader's change, or an admin's change of the
 * platform fee, is a new agreement version; no copy's terms change until its follower
 * accepts, and accepted terms apply from the start of the copy's next fee period. A follower
 * who does nothing keeps the old terms.
 */

const same = (a: string, b: string) => D(a).eq(b);

async function newVersion(
  tx: Tx,
  leaderId: string,
  terms: { performanceFeePct: string; managementFeePctYear: string; period: FeePeriod },
  platformFeeBps: string,
  by: string | null,
  at: Date,
) {
  const prev = await latestSchedule(tx, leaderId);
  const [row] = await tx
    .insert(feeSchedules)
    .values({
      leaderId,
      version: (prev?.version ?? 0) + 1,
      performanceFeePct: terms.performanceFeePct,
      managementFeePctYear: terms.managementFeePctYear,
      platformFeeBps,
      period: terms.period,
      createdBy: by,
      createdAt: at,
    })
    .returning();
  return row!;
}

/** A leader sets their fees within the caps; returns the version now offered. */
export async function setLeaderFees(
  deps: EngineDeps,
  input: { leaderId: string; by: string; fees: LeaderFeeInput },
) {
  const fees = checkLeaderFees(input.fees);
  return deps.db.transaction(async (tx) => {
    const now = deps.clock.now();
    // The leader row's lock serializes two changes, so versions never collide.
    const [leader] = await tx
      .select({ id: leaders.id })
      .from(leaders)
      .where(eq(leaders.id, input.leaderId))
      .for("update");
    if (!leader) throw new CopyError("NOT_FOUND", "No such leader.");
    const prev = await latestSchedule(tx, leader.id);
    const platform = await platformSettings(tx);
    if (
      prev &&
      same(prev.performanceFeePct, fees.performanceFeePct) &&
      same(prev.managementFeePctYear, fees.managementFeePctYear) &&
      prev.period === fees.period &&
      same(prev.platformFeeBps, platform.platformFeeBps)
    )
      return prev;
    const row = await newVersion(
      tx,
      leader.id,
      fees,
      platform.platformFeeBps,
      actor(input.by),
      now,
    );
    // The profile advertises the latest version's performance fee.
    await tx
      .update(leaders)
      .set({ performanceFeePct: fees.performanceFeePct })
      .where(eq(leaders.id, leader.id));
    await writeAudit(tx, {
      by: input.by,
      action: "fees.leader_set",
      targetType: "leader",
      targetId: leader.id,
      details: { version: row.version, ...fees, platformFeeBps: platform.platformFeeBps },
      at: now,
    });
    return row;
  });
}

/**
 * Admins set the platform fee and the platform's share of leader fees. A new platform fee
 * is a new agreement version for every leader (followers consent as to any change); the
 * share is between the platform and leaders and applies to fees charged from now on.
 */
export async function setPlatformFees(
  deps: EngineDeps,
  input: { by: string; platformFeeBps: string; platformSharePct: string },
) {
  const p = checkPlatformFees(input);
  return deps.db.transaction(async (tx) => {
    const now = deps.clock.now();
    // One platform change at a time: the versions it creates must not interleave.
    await tx.execute(sql`select pg_advisory_xact_lock(7314060)`);
    const before = await platformSettings(tx);
    await tx.insert(platformFeeSettings).values({ ...p, setBy: actor(input.by), at: now });
    let versions = 0;
    if (!same(before.platformFeeBps, p.platformFeeBps)) {
      const all = await tx
        .select({ id: leaders.id, pct: leaders.performanceFeePct })
        .from(leaders)
        .orderBy(leaders.id)
        .for("update");
      for (const l of all) {
        const prev = await latestSchedule(tx, l.id);
        await newVersion(
          tx,
          l.id,
          prev ?? { performanceFeePct: l.pct, managementFeePctYear: "0", period: "month" },
          p.platformFeeBps,
          actor(input.by),
          now,
        );
        versions++;
      }
    }
    await writeAudit(tx, {
      by: input.by,
      action: "fees.platform_set",
      targetType: "platform",
      targetId: "fees",
      details: { before, after: p, newVersions: versions },
      at: now,
    });
    return { ...p, newVersions: versions };
  });
}

/**
 * The follower accepts the leader's latest version for one copy. `scheduleId` is the version
 * the follower read: if the leader changed again meanwhile, nothing changes and they are
 * asked to read the new one. Applies from the start of the copy's next fee period.
 */
export async function acceptFeeTerms(
  deps: EngineDeps,
  input: { relationshipId: string; scheduleId: string; by: string },
): Promise<{ effectiveAt: Date }> {
  return deps.db.transaction(async (tx) => {
    const now = deps.clock.now();
    const [rel] = await tx
      .select()
      .from(copyRelationships)
      .where(eq(copyRelationships.id, input.relationshipId))
      .for("update");
    if (!rel) throw new CopyError("NOT_FOUND", "No such copy.");
    if (rel.status === "stopped") throw new CopyError("INVALID_STATE", "The copy is stopped.");
    const latest = await latestSchedule(tx, rel.leaderId);
    if (!latest || latest.id !== input.scheduleId)
      throw new CopyError(
        "INVALID_STATE",
        "The leader's fees changed again while you were reading them. Review the new terms.",
      );
    const effectiveAt = nextPeriodStart(now, rel.feePeriod as FeePeriod);
    await tx
      .insert(copyFeeTerms)
      .values({ relationshipId: rel.id, scheduleId: null, consentedAt: rel.consentedAt })
      .onConflictDoNothing();
    const [terms] = await tx
      .select()
      .from(copyFeeTerms)
      .where(eq(copyFeeTerms.relationshipId, rel.id));
    if (terms?.scheduleId === latest.id)
      throw new CopyError("INVALID_STATE", "Your copy is already on these terms.");
    await tx
      .update(copyFeeTerms)
      .set({ acceptedScheduleId: latest.id, acceptedAt: now, effectiveAt })
      .where(eq(copyFeeTerms.relationshipId, rel.id));
    await appendEvents(tx, [
      {
        stream: copyStream(rel.id),
        type: "copy_fee_terms_accepted",
        payload: {
          scheduleId: latest.id,
          version: latest.version,
          effectiveAt: effectiveAt.toISOString(),
        },
        at: now,
      },
    ]);
    await writeAudit(tx, {
      by: input.by,
      action: "copy.fee_terms_accepted",
      targetType: "copy",
      targetId: rel.id,
      details: {
        version: latest.version,
        performanceFeePct: latest.performanceFeePct,
        managementFeePctYear: latest.managementFeePctYear,
        platformFeeBps: latest.platformFeeBps,
        period: latest.period,
        effectiveAt: effectiveAt.toISOString(),
      },
      at: now,
    });
    return { effectiveAt };
  });
}

/** What a copy's follower is offered: the copy's terms, and a newer version if there is one. */
export async function feeOffer(tx: Tx | EngineDeps["db"], relationshipId: string) {
  const [rel] = await tx
    .select()
    .from(copyRelationships)
    .where(eq(copyRelationships.id, relationshipId));
  if (!rel) return null;
  const [terms] = await tx
    .select()
    .from(copyFeeTerms)
    .where(eq(copyFeeTerms.relationshipId, relationshipId));
  const latest = await latestSchedule(tx, rel.leaderId);
  const current = {
    performanceFeePct: rel.performanceFeePct ?? "0",
    managementFeePctYear: rel.managementFeePctYear ?? "0",
    platformFeeBps: rel.platformFeeBps ?? "0",
    period: rel.feePeriod as FeePeriod,
  };
  const offered =
    latest && rel.status !== "stopped" && terms?.scheduleId !== latest.id
      ? {
          scheduleId: latest.id,
          version: latest.version,
          performanceFeePct: latest.performanceFeePct,
          managementFeePctYear: latest.managementFeePctYear,
          platformFeeBps: latest.platformFeeBps,
          period: latest.period,
          accepted: terms?.acceptedScheduleId === latest.id,
          effectiveAt: (terms?.acceptedScheduleId === latest.id
            ? terms.effectiveAt!
            : nextPeriodStart(new Date(), current.period)
          ).toISOString(),
        }
      : null;
  return { current, offered };
}
