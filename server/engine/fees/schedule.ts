import { desc, eq } from "drizzle-orm";
import { copyFeeTerms, feeSchedules, leaders, platformFeeSettings } from "../../../db/schema";
import { D } from "../../domain/money";
import type { Executor } from "../core/streams";

/*
 * The fee terms in force (docs/adr/0061): the platform's settings (latest row), a leader's
 * latest agreement version, and what a new copy agrees to. Read-only helpers, so both the
 * copy intents and the fee settings can use them without importing each other.
 */

export async function platformSettings(
  tx: Executor,
): Promise<{ platformFeeBps: string; platformSharePct: string }> {
  const [row] = await tx
    .select()
    .from(platformFeeSettings)
    .orderBy(desc(platformFeeSettings.id))
    .limit(1);
  return {
    platformFeeBps: row?.platformFeeBps ?? "0",
    platformSharePct: row?.platformSharePct ?? "0",
  };
}

export async function latestSchedule(tx: Executor, leaderId: string) {
  const [row] = await tx
    .select()
    .from(feeSchedules)
    .where(eq(feeSchedules.leaderId, leaderId))
    .orderBy(desc(feeSchedules.version))
    .limit(1);
  return row ?? null;
}

const orNull = (v: string | null | undefined) => (v && !D(v).isZero() ? v : null);

/**
 * What a new copy of the leader agrees to: the leader's latest version, else the leader's
 * advertised performance fee with the platform fee in force. Zero is no fee (null).
 */
export async function feeTermsForNewCopy(tx: Executor, leaderId: string) {
  const s = await latestSchedule(tx, leaderId);
  if (s)
    return {
      scheduleId: s.id as string | null,
      fees: {
        performanceFeePct: orNull(s.performanceFeePct),
        managementFeePctYear: orNull(s.managementFeePctYear),
        platformFeeBps: orNull(s.platformFeeBps),
        period: s.period,
      },
    };
  const [l] = await tx
    .select({ pct: leaders.performanceFeePct })
    .from(leaders)
    .where(eq(leaders.id, leaderId));
  const p = await platformSettings(tx);
  return {
    scheduleId: null,
    fees: {
      performanceFeePct: orNull(l?.pct),
      managementFeePctYear: null,
      platformFeeBps: orNull(p.platformFeeBps),
      period: "month" as const,
    },
  };
}

/** The copy's agreement version, written with the copy in its transaction. */
export async function recordCopyFeeTerms(
  tx: Executor,
  relationshipId: string,
  scheduleId: string | null,
  at: Date,
): Promise<void> {
  await tx
    .insert(copyFeeTerms)
    .values({ relationshipId, scheduleId, consentedAt: at })
    .onConflictDoNothing();
}
