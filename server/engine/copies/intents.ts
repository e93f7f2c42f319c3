import { and, eq, sql } from "drizzle-orm";
import {
  accountBalances,
  copyRelationships,
  leaders,
  orders,
  replicationCursors,
} from "../../../db/schema";
import { D, fmt, parseDecimal } from "../../domain/money";
import { proportionalRatio, type SizingMode } from "../../domain/sizing";
import type { EngineDeps } from "../deps";
import { leaderEquity } from "../ingest/leader-book";
import { appendEvents, copyStream, leaderStream } from "../core/streams";

export type CopyTerms = {
  id?: string;
  followerId: string;
  leaderId: string;
  brokerAccountId: string;
  sizing: { mode: SizingMode; allocation?: string; factor?: string; notional?: string };
  risk?: {
    copyStopLossPct?: string | null;
    maxSymbolExposure?: string | null;
    maxOpenPositions?: number | null;
    maxSlippageBps?: number | null;
    dailyLossLimit?: string | null;
  };
  onInsufficientFunds?: "reduce" | "skip";
  agreementVersion: string;
  copyOpenPositions?: boolean;
};

export class CopyError extends Error {
  constructor(
    public readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Starts a copy. The ratio is fixed now (proportional: allocation / leader equity), and the
 * copy's cursor starts at the leader's current stream position: it copies what the leader
 * does from now on, not history. With `copyOpenPositions` the next reconciliation brings
 * it to the leader's current positions at market.
 */
export async function startCopy(deps: EngineDeps, t: CopyTerms): Promise<string> {
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const [leader] = await tx.select().from(leaders).where(eq(leaders.id, t.leaderId));
    if (!leader) throw new CopyError("NOT_FOUND", "No such leader.");
    if (!leader.copyable)
      throw new CopyError("LEADER_NOT_COPYABLE", "This leader cannot be copied right now.");
    const [balance] = await tx
      .select()
      .from(accountBalances)
      .where(eq(accountBalances.brokerAccountId, t.brokerAccountId));
    const cash = D(balance?.cash ?? 0);
    let ratio: string | null = null;
    let reference = cash;
    if (t.sizing.mode === "proportional") {
      const allocation = parseDecimal(t.sizing.allocation, "sizing.allocation");
      if (allocation.lte(0))
        throw new CopyError("INVALID_ALLOCATION", "sizing.allocation must be positive.");
      ratio = fmt(proportionalRatio(allocation, await leaderEquity(tx, t.leaderId)));
      reference = allocation;
    } else if (t.sizing.mode === "multiplier") {
      const factor = parseDecimal(t.sizing.factor, "sizing.factor");
      if (factor.lte(0)) throw new CopyError("INVALID_FACTOR", "sizing.factor must be positive.");
      ratio = fmt(factor);
    } else {
      const notional = parseDecimal(t.sizing.notional, "sizing.notional");
      if (notional.lte(0))
        throw new CopyError("INVALID_NOTIONAL", "sizing.notional must be positive.");
    }
    const [stream] = await tx.execute<{ last_seq: string }>(
      sql`select last_seq from event_streams where stream = ${leaderStream(t.leaderId)}`,
    );
    const [rel] = await tx
      .insert(copyRelationships)
      .values({
        ...(t.id ? { id: t.id } : {}),
        followerId: t.followerId,
        leaderId: t.leaderId,
        brokerAccountId: t.brokerAccountId,
        status: "active",
        sizingMode: t.sizing.mode,
        allocation: t.sizing.allocation ?? null,
        factor: t.sizing.factor ?? null,
        notional: t.sizing.notional ?? null,
        ratio,
        ratioFixedAt: now,
        referenceCapital: fmt(reference),
        copyStopLossPct: t.risk?.copyStopLossPct ?? null,
        maxSymbolExposure: t.risk?.maxSymbolExposure ?? null,
        maxOpenPositions: t.risk?.maxOpenPositions ?? null,
        maxSlippageBps: t.risk?.maxSlippageBps ?? null,
        dailyLossLimit: t.risk?.dailyLossLimit ?? null,
        onInsufficientFunds: t.onInsufficientFunds ?? "reduce",
        copyOpenPositions: t.copyOpenPositions ?? false,
        agreementVersion: t.agreementVersion,
        consentedAt: now,
        startedAt: now,
        lastLeaderSeq: Number(stream?.last_seq ?? 0),
      })
      .returning({ id: copyRelationships.id });
    await tx
      .insert(replicationCursors)
      .values({ leaderId: t.leaderId, lastSeq: Number(stream?.last_seq ?? 0), updatedAt: now })
      .onConflictDoNothing();
    await appendEvents(tx, [
      { stream: copyStream(rel!.id), type: "copy_started", payload: { ...t, ratio }, at: now },
    ]);
    return rel!.id;
  });
}

export async function pauseCopy(
  deps: EngineDeps,
  relationshipId: string,
  by: string,
): Promise<void> {
  await setStatus(deps, relationshipId, "active", "paused", by);
}

export async function resumeCopy(
  deps: EngineDeps,
  relationshipId: string,
  by: string,
): Promise<void> {
  await setStatus(deps, relationshipId, "paused", "active", by);
}

async function setStatus(
  deps: EngineDeps,
  id: string,
  from: "active" | "paused",
  to: "active" | "paused",
  by: string,
) {
  await deps.db.transaction(async (tx) => {
    const [rel] = await tx
      .select()
      .from(copyRelationships)
      .where(eq(copyRelationships.id, id))
      .for("update");
    if (!rel) throw new CopyError("NOT_FOUND", "No such copy.");
    if (rel.status === to) return;
    if (rel.status !== from)
      throw new CopyError(
        "INVALID_STATE",
        `The copy is ${rel.status}; it cannot be ${to === "paused" ? "paused" : "resumed"}.`,
      );
    await tx.update(copyRelationships).set({ status: to }).where(eq(copyRelationships.id, id));
    await appendEvents(tx, [
      {
        stream: copyStream(id),
        type: to === "paused" ? "copy_paused" : "copy_resumed",
        payload: { by },
        at: deps.clock.now(),
      },
    ]);
  });
}

/**
 * Changes a proportional copy's allocation: r is fixed again from the leader's equity now;
 * positions move to the new target at the next leader fill or reconciliation.
 */
export async function setAllocation(
  deps: EngineDeps,
  relationshipId: string,
  allocationRaw: string,
  by: string,
): Promise<void> {
  const allocation = parseDecimal(allocationRaw, "allocation");
  if (allocation.lte(0)) throw new CopyError("INVALID_ALLOCATION", "allocation must be positive.");
  await deps.db.transaction(async (tx) => {
    const [rel] = await tx
      .select()
      .from(copyRelationships)
      .where(eq(copyRelationships.id, relationshipId))
      .for("update");
    if (!rel) throw new CopyError("NOT_FOUND", "No such copy.");
    if (rel.status === "stopped") throw new CopyError("INVALID_STATE", "The copy is stopped.");
    const ratio =
      rel.sizingMode === "proportional"
        ? fmt(proportionalRatio(allocation, await leaderEquity(tx, rel.leaderId)))
        : rel.ratio;
    await tx
      .update(copyRelationships)
      .set({
        allocation: fmt(allocation),
        referenceCapital: fmt(allocation),
        ratio,
        ratioFixedAt: deps.clock.now(),
      })
      .where(eq(copyRelationships.id, relationshipId));
    await appendEvents(tx, [
      {
        stream: copyStream(relationshipId),
        type: "copy_allocation_set",
        payload: { allocation: fmt(allocation), ratio, by },
        at: deps.clock.now(),
      },
    ]);
  });
}

/**
 * Stops a copy: from now on it gets no copy orders. Only the database changes here, so
 * the web app can call it; orders not yet sent are cancelled at once, and the worker
 * (`settleStoppedCopies`) cancels working orders at the broker and, unless
 * `closePositions` is false, closes every position at market with origin `risk`.
 */
export async function stopCopy(
  deps: EngineDeps,
  relationshipId: string,
  opts: { reason: "STOPPED" | "COPY_STOP_LOSS"; by: string; closePositions?: boolean },
): Promise<void> {
  const now = deps.clock.now();
  await deps.db.transaction(async (tx) => {
    const [rel] = await tx
      .select()
      .from(copyRelationships)
      .where(eq(copyRelationships.id, relationshipId))
      .for("update");
    if (!rel) throw new CopyError("NOT_FOUND", "No such copy.");
    if (rel.status === "stopped") return;
    await tx
      .update(copyRelationships)
      .set({
        status: "stopped",
        stoppedAt: now,
        stopReason: opts.reason,
        closeOnStop: opts.closePositions !== false,
      })
      .where(eq(copyRelationships.id, relationshipId));
    await tx
      .update(orders)
      .set({ status: "cancelled", updatedAt: now })
      .where(
        and(
          eq(orders.relationshipId, relationshipId),
          eq(orders.status, "pending_submit"),
          sql`${orders.origin} <> 'risk'`,
        ),
      );
    await appendEvents(tx, [
      {
        stream: copyStream(relationshipId),
        type: "copy_stopped",
        payload: {
          reason: opts.reason,
          by: opts.by,
          closePositions: opts.closePositions !== false,
        },
        at: now,
      },
    ]);
  });
}
