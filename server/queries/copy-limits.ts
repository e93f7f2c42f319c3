import "server-only";
import { and, eq } from "drizzle-orm";
import type { Db } from "../../db/client";
import { auditLog, copyRelationships } from "../../db/schema";
import { fmt, parseDecimal } from "../domain/money";
import type { RiskLimits } from "./copies";

/**
 * Edits a copy's risk limits. Limits only ever gate increases (reductions always pass), so
 * a change takes effect at the next leader fill; the change is audited with old and new.
 */
export async function updateLimits(
  db: Db,
  userId: string,
  id: string,
  limits: RiskLimits,
  now: Date = new Date(),
) {
  return db.transaction(async (tx) => {
    const [rel] = await tx
      .select()
      .from(copyRelationships)
      .where(and(eq(copyRelationships.id, id), eq(copyRelationships.followerId, userId)))
      .for("update");
    if (!rel) return "NOT_FOUND" as const;
    if (rel.status === "stopped") return "STOPPED" as const;
    const next = {
      copyStopLossPct:
        limits.copyStopLossPct === null
          ? null
          : fmt(parseDecimal(limits.copyStopLossPct, "copyStopLossPct")),
      maxSymbolExposure:
        limits.maxSymbolExposure === null
          ? null
          : fmt(parseDecimal(limits.maxSymbolExposure, "maxSymbolExposure")),
      maxOpenPositions: limits.maxOpenPositions,
      maxSlippageBps: limits.maxSlippageBps,
      dailyLossLimit:
        limits.dailyLossLimit === null
          ? null
          : fmt(parseDecimal(limits.dailyLossLimit, "dailyLossLimit")),
      // Absent: the follower's earlier choice stays (a form that does not show it).
      ...(limits.onLeaderFlag ? { onLeaderFlag: limits.onLeaderFlag } : {}),
    };
    await tx.update(copyRelationships).set(next).where(eq(copyRelationships.id, id));
    await tx.insert(auditLog).values({
      actorUserId: userId,
      action: "copy.limits_set",
      targetType: "copy",
      targetId: id,
      details: {
        before: {
          copyStopLossPct: rel.copyStopLossPct,
          maxSymbolExposure: rel.maxSymbolExposure,
          maxOpenPositions: rel.maxOpenPositions,
          maxSlippageBps: rel.maxSlippageBps,
          dailyLossLimit: rel.dailyLossLimit,
          onLeaderFlag: rel.onLeaderFlag,
        },
        after: next,
      },
      at: now,
    });
    return "OK" as const;
  });
}
