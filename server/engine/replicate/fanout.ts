import { and, asc, eq, inArray, lt, sql } from "drizzle-orm";
import {
  brokerAccounts,
  copyDecisions,
  copyRelationships,
  copySymbolRatios,
  leaders,
  orders,
} from "../../../db/schema";
import { packChecks } from "../../../db/schema/columns";
import { fx, fxText } from "../../domain/fixed";
import { fmt } from "../../domain/money";
import { bulkInsert, anyOf } from "../core/bulk";
import type { EngineDeps } from "../deps";
import { copyOrderId } from "../core/ids";
import type { LeaderFillEvent } from "../ingest/leader-events";
import { appendEvents, fanoutStream, type Tx } from "../core/streams";
import {
  copyOrderRow,
  loadPlanContext,
  planFor,
  relColumns,
  type PlanContext,
  type Rel,
} from "./plan-context";
import { metrics } from "../../ops/metrics";
import { CLAIMED_AT_INSERT, type Claimed, type SubmitOrder } from "../execute/submit";

export const TERMINAL_ORDER_STATES = ["filled", "cancelled", "rejected", "expired"] as const;

/**
 * Fans one leader fill out to the next batch of the leader's followers that have not had
 * it yet, in one transaction: every input is loaded with one query per kind for the whole
 * batch, every decision is computed in memory, and decisions, orders and events are
 * written as multi-row inserts. A crash mid-fan-out leaves some relationships at the new
 * `last_leader_seq` and the rest before it; the next run picks up exactly the rest.
 * Returns how many relationships the batch covered (0 = fan-out complete) and, with
 * `handOver`, the orders it inserted claimed.
 */
export async function fanOutBatch(
  deps: EngineDeps,
  tx: Tx,
  leaderId: string,
  seq: number,
  fill: LeaderFillEvent,
  at: Date,
  /** Only these copies (a part of a fan-out run side by side with others, replicate.ts). */
  only?: readonly string[],
  /**
   * The caller sends the orders itself once this transaction commits (the worker's pump):
   * they are inserted claimed (CLAIMED_AT_INSERT) and returned in `fresh`, so no claim
   * statement has to find and mark them again (ADR 0041, session 11). Without it they are
   * inserted `pending_submit` for any worker's claim.
   */
  handOver = false,
): Promise<{ covered: number; fresh: Claimed[] }> {
  const now = deps.clock.now();
  const selected = await tx
    .select({
      ...relColumns,
      broker: brokerAccounts.broker,
      externalId: brokerAccounts.externalId,
    })
    .from(copyRelationships)
    .innerJoin(brokerAccounts, eq(brokerAccounts.id, copyRelationships.brokerAccountId))
    .where(
      and(
        eq(copyRelationships.leaderId, leaderId),
        inArray(copyRelationships.status, ["active", "paused"]),
        lt(copyRelationships.lastLeaderSeq, seq),
        only ? anyOf(copyRelationships.id, only) : undefined,
      ),
    )
    .orderBy(asc(copyRelationships.createdAt), asc(copyRelationships.id))
    .limit(deps.config.fanoutBatchSize);
  const rels: Rel[] = selected;
  if (rels.length === 0) return { covered: 0, fresh: [] };

  const symbol = fill.symbol;
  const [[leader], ctx] = await Promise.all([
    tx.select({ copyable: leaders.copyable }).from(leaders).where(eq(leaders.id, leaderId)),
    loadPlanContext(tx, rels, [symbol], now),
  ]);
  if (!ctx.instruments.has(symbol)) throw new Error(`unknown instrument ${symbol}`);
  const correlationId = `lf:${fill.fillId}`;

  const planStart = performance.now();
  const { decisionRows, orderRows, ratioUpserts, ratioDeletes } = planBatch(
    ctx,
    rels,
    fill,
    seq,
    leader?.copyable ?? false,
    now,
  );

  // Planning alone (no I/O), logged so benchmarks can report the per-follower cost.
  const planMs = performance.now() - planStart;
  // Decisions, orders, ratios and the copies' progress are sent at once and waited for
  // together: the server runs them in the order sent, one round trip instead of three.
  const writes: Promise<unknown>[] = [];
  const initial = handOver ? CLAIMED_AT_INSERT : { status: "pending_submit" as const, attempts: 0 };
  writes.push(
    bulkInsert(
      tx,
      "copy_decisions",
      {
        relationship_id: "uuid",
        leader_fill_id: "text",
        leader_event_seq: "bigint",
        symbol: "text",
        target: "numeric",
        order_qty: "numeric",
        action: "decision_action",
        reason: "text",
        checks: "jsonb",
        client_order_id: "text",
        at: "timestamptz",
      },
      decisionRows.map((d) => ({
        relationship_id: d.relationshipId,
        leader_fill_id: d.leaderFillId,
        leader_event_seq: d.leaderEventSeq,
        symbol: d.symbol,
        target: d.target,
        order_qty: d.orderQty,
        action: d.action,
        reason: d.reason,
        checks: packChecks(d.checks),
        client_order_id: d.clientOrderId ?? null,
        at: d.at,
      })),
      { onConflict: "on conflict do nothing" },
    ),
  );
  const inserted = bulkInsert(
    tx,
    "orders",
    {
      client_order_id: "text",
      broker_account_id: "uuid",
      relationship_id: "uuid",
      symbol: "text",
      side: "order_side",
      type: "order_type",
      qty: "numeric",
      status: "order_status",
      attempts: "integer",
      origin: "order_origin",
      leader_fill_id: "text",
      leader_event_seq: "bigint",
      correlation_id: "text",
      created_at: "timestamptz",
      updated_at: "timestamptz",
    },
    orderRows.map((o) => ({
      client_order_id: o.clientOrderId,
      broker_account_id: o.brokerAccountId,
      relationship_id: o.relationshipId ?? null,
      symbol: o.symbol,
      side: o.side,
      type: o.type ?? "market",
      qty: o.qty,
      status: initial.status,
      attempts: initial.attempts,
      origin: o.origin,
      leader_fill_id: o.leaderFillId ?? null,
      leader_event_seq: o.leaderEventSeq ?? null,
      correlation_id: o.correlationId ?? null,
      created_at: o.createdAt,
      updated_at: o.updatedAt,
    })),
    // An order already there (a retried batch) is not returned: it is not this call's to send.
    {
      onConflict: "on conflict do nothing",
      ...(handOver ? { returning: "id, client_order_id" } : {}),
    },
  );
  writes.push(inserted);
  if (ratioUpserts.length) {
    writes.push(
      tx
        .insert(copySymbolRatios)
        .values(ratioUpserts)
        .onConflictDoUpdate({
          target: [copySymbolRatios.relationshipId, copySymbolRatios.symbol],
          set: { ratio: sql`excluded.ratio` },
        }),
    );
  }
  if (ratioDeletes.length) {
    writes.push(
      tx
        .delete(copySymbolRatios)
        .where(
          and(
            anyOf(copySymbolRatios.relationshipId, ratioDeletes),
            eq(copySymbolRatios.symbol, symbol),
          ),
        ),
    );
  }
  writes.push(
    tx
      .update(copyRelationships)
      .set({ lastLeaderSeq: seq, lastReplicatedAt: now })
      .where(
        anyOf(
          copyRelationships.id,
          rels.map((r) => r.id),
        ),
      ),
  );
  await Promise.all(writes);
  const fresh = handOver ? handedOver(await inserted, orderRows, selected, initial) : [];
  // Last, because it is the one row that batches run side by side share (replicate.ts).
  // One event per batch, not one per follower: the decisions themselves are rows of
  // copy_decisions (what the follower and support read); the event keeps them in the
  // append-only log in a compact form, on the leader's fan-out stream (ADR 0041). One row
  // and one stream counter instead of two per follower, and no per-copy stream lock.
  await appendEvents(tx, [
    {
      stream: fanoutStream(leaderId),
      type: "copy_decision",
      payload: {
        leaderFillId: fill.fillId,
        leaderSeq: seq,
        symbol,
        // [relationshipId, target, orderQty, action, reason, clientOrderId] per follower
        decisions: decisionRows.map((d) => [
          d.relationshipId,
          d.target,
          d.orderQty,
          d.action,
          d.reason,
          d.clientOrderId ?? null,
        ]),
      },
      at,
      correlationId,
    },
  ]);
  metrics.fannedOut(decisionRows, at, now);
  deps.log.info(
    {
      correlationId,
      leaderId,
      seq,
      followers: rels.length,
      orders: orderRows.length,
      planMs: Number(planMs.toFixed(3)),
    },
    "fan-out batch",
  );
  return { covered: rels.length, fresh };
}

/** The orders this batch inserted, as the submission reads them (SubmitOrder), with their broker account. */
function handedOver(
  inserted: ReadonlyArray<Record<string, unknown>>,
  orderRows: PlannedBatch["orderRows"],
  selected: ReadonlyArray<{ id: string; broker: string; externalId: string }>,
  initial: { status: SubmitOrder["status"]; attempts: number },
): Claimed[] {
  const ids = new Map(inserted.map((r) => [String(r.client_order_id), String(r.id)]));
  const account = new Map(selected.map((s) => [s.id, s]));
  const out: Claimed[] = [];
  for (const o of orderRows) {
    const id = ids.get(o.clientOrderId);
    if (!id) continue;
    const a = account.get(o.relationshipId!)!;
    out.push({
      order: {
        id,
        clientOrderId: o.clientOrderId,
        brokerAccountId: o.brokerAccountId,
        symbol: o.symbol,
        side: o.side,
        type: o.type ?? "market",
        qty: o.qty,
        limitPrice: o.limitPrice ?? null,
        status: initial.status,
        attempts: initial.attempts,
        origin: o.origin,
        correlationId: o.correlationId ?? null,
        createdAt: o.createdAt!,
      },
      broker: a.broker,
      externalId: a.externalId,
    });
  }
  return out;
}

export type PlannedBatch = {
  decisionRows: (typeof copyDecisions.$inferInsert)[];
  orderRows: (typeof orders.$inferInsert)[];
  ratioUpserts: { relationshipId: string; symbol: string; ratio: string }[];
  ratioDeletes: string[];
};

/**
 * The planning loop of one fan-out batch, without I/O: every follower through `planFor`,
 * and the rows the batch writes. Apart so that `bench/plan.ts` measures exactly this loop.
 */
export function planBatch(
  ctx: PlanContext,
  rels: readonly Rel[],
  fill: LeaderFillEvent,
  seq: number,
  leaderCopyable: boolean,
  now: Date,
): PlannedBatch {
  const symbol = fill.symbol;
  // The leader's move and price are the same for every follower: parsed once.
  const leaderMove = {
    positionBefore: fx(fill.positionBefore),
    positionAfter: fx(fill.positionAfter),
  };
  const price = fx(fill.price);
  const correlationId = `lf:${fill.fillId}`;
  const decisionRows: PlannedBatch["decisionRows"] = [];
  const orderRows: PlannedBatch["orderRows"] = [];
  const ratioUpserts: PlannedBatch["ratioUpserts"] = [];
  const ratioDeletes: string[] = [];
  for (const rel of rels) {
    const plan = planFor(ctx, rel, symbol, leaderMove, price, leaderCopyable);
    if (plan.ratioChange.kind === "set")
      ratioUpserts.push({ relationshipId: rel.id, symbol, ratio: fmt(plan.ratioChange.ratio) });
    if (plan.ratioChange.kind === "clear") ratioDeletes.push(rel.id);
    const clientOrderId = plan.fx.orderQty.n === 0n ? null : copyOrderId(rel.id, seq);
    decisionRows.push({
      relationshipId: rel.id,
      leaderFillId: fill.fillId,
      leaderEventSeq: seq,
      symbol,
      target: fxText(plan.fx.target),
      orderQty: fxText(plan.fx.orderQty),
      action: plan.action,
      reason: plan.reason,
      checks: plan.checks,
      clientOrderId,
      at: now,
    });
    if (clientOrderId) {
      orderRows.push(
        copyOrderRow(rel, symbol, plan, {
          clientOrderId,
          origin: "copy",
          correlationId,
          now,
          leaderFillId: fill.fillId,
          leaderEventSeq: seq,
        }),
      );
    }
  }
  return { decisionRows, orderRows, ratioUpserts, ratioDeletes };
}
