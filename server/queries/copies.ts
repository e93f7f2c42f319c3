import "server-only";
import { and, eq, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../db/client";
import { copyRelationships, leaders } from "../../db/schema";
import { copyGraphProblem } from "../engine/copies/intents";
import { availableToAllocate } from "./accounts";
import { MIN_TRACK_RECORD_DAYS } from "./leaders";

/** The copy agreement followers consent to; bump when its text changes. */
export const AGREEMENT_VERSION = "2026-12-copy-v2"; // v2: verified, strategy-change flags, automatic breakers

// The rules live in one pure module shared with the browser forms (server/domain/inputs.ts).
export { riskLimitsInput } from "../domain/inputs";
import { copyIdInput, riskLimitsInput, sizingInput } from "../domain/inputs";
export type RiskLimits = z.infer<typeof riskLimitsInput>;

export { defaultLimits } from "../domain/copy-defaults";

export { sizingInput };
export type SizingInput = z.infer<typeof sizingInput>;

export { copyPreviewInput } from "../domain/inputs";

export { amountProblem } from "./copy-amount";
import { amountProblem } from "./copy-amount";

/** Checks before a copy starts; each refusal names the field. */
export async function validateNewCopy(
  db: Db,
  input: { followerId: string; leaderId: string; brokerAccountId: string; amount: string },
  now: Date = new Date(),
): Promise<{
  code: "NOT_FOUND" | "PRECONDITION_FAILED" | "BAD_REQUEST" | "CONFLICT";
  message: string;
} | null> {
  const [leader] = await db.select().from(leaders).where(eq(leaders.id, input.leaderId));
  if (!leader) return { code: "NOT_FOUND", message: "No such leader." };
  if (leader.userId === input.followerId)
    return { code: "BAD_REQUEST", message: "You cannot copy yourself." };
  // The copy-graph rules again under their lock in startCopy; here for an early answer.
  const graph = await copyGraphProblem(db, {
    followerId: input.followerId,
    leaderUserId: leader.userId,
    brokerAccountId: input.brokerAccountId,
  });
  if (graph) return { code: "PRECONDITION_FAILED", message: graph.message };
  if (!leader.copyable)
    return { code: "PRECONDITION_FAILED", message: "This leader cannot be copied right now." };
  const days = Math.floor((now.getTime() - leader.trackRecordStartedAt.getTime()) / 86_400_000);
  if (days < MIN_TRACK_RECORD_DAYS)
    return {
      code: "PRECONDITION_FAILED",
      message: `This leader has ${days} days of track record; copying opens after ${MIN_TRACK_RECORD_DAYS} days.`,
    };
  const [dup] = await db
    .select({ id: copyRelationships.id })
    .from(copyRelationships)
    .where(
      and(
        eq(copyRelationships.followerId, input.followerId),
        eq(copyRelationships.leaderId, input.leaderId),
        sql`${copyRelationships.status} <> 'stopped'`,
      ),
    );
  if (dup)
    return {
      code: "CONFLICT",
      message: "You already copy this leader. Change the amount on that copy instead.",
    };
  const funds = await availableToAllocate(db, input.brokerAccountId);
  const problem = amountProblem({
    amount: input.amount,
    minAllocation: leader.minAllocation,
    available: funds.available,
    currency: "USD",
  });
  return problem ? { code: "BAD_REQUEST", message: problem } : null;
}

export { copyIdInput };

// The copy queries live in modules named for what they do; re-exported for the routers.
export { copyPreview } from "./copy-preview";
export { listCopies } from "./copy-list";
export { copyDetail } from "./copy-detail";
export { updateLimits } from "./copy-limits";

/** Owner check used by every copy mutation. */
export async function ownsCopy(db: Db, userId: string, id: string): Promise<boolean> {
  const [rel] = await db
    .select({ id: copyRelationships.id })
    .from(copyRelationships)
    .where(and(eq(copyRelationships.id, id), eq(copyRelationships.followerId, userId)));
  return Boolean(rel);
}
