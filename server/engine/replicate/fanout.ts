import { and, asc, eq, inArray, isNull, lt, or, sql } from "drizzle-orm";
import {
  accountBalances,
  brokerAccounts,
  circuitBreakers,
  copyDayMarks,
  copyDecisions,
  copyPositions,
  copyRelationships,
  copySymbolRatios,
  instruments,
  leaders,
  orders,
  quotes,
} from "../../../db/schema";
import { D, fmt, ZERO, type Decimal } from "../../domain/money";
import { decide, type Decision } from "../../domain/risk";
import { fixedNotionalRatio, orderDelta, splitFlip, targetPosition } from "../../domain/sizing";
import { bulkInsert } from "../core/bulk";
import { groupBy } from "../core/concurrency";
import type { EngineDeps } from "../deps";
import { copyOrderId } from "../core/ids";
import type { LeaderFillEvent } from "../ingest/leader-events";
import { appendEvents, copyStream, type Tx } from "../core/streams";
import { copyPnl, type HeldPosition } from "../../domain/valuation";

export const TERMINAL_ORDER_STATES = ["filled", "cancelled", "rejected", "expired"] as const;

type Rel = typeof copyRelationships.$inferSelect & { broker: string };

/**
 * Fans one leader fill out to the next batch of the leader's followers that have not had
 * it yet, in one transaction: every input is loaded with one query per kind for the whole
 * batch, every decision is computed in memory, and decisions, orders and events are
 * written as multi-row inserts. A crash mid-fan-out leaves some relationships at the new
 * `last_leader_seq` and the rest before it; the next run picks up exactly the rest.
 * Returns how many relationships the batch covered (0 = fan-out complete).
 */
export async function fanOutBatch(
  deps: EngineDeps,
  tx: Tx,
  leaderId: string,
  seq: number,
  fill: LeaderFillEvent,
  at: Date,
): Promise<number> {
  const now = deps.clock.now();
  const rels: Rel[] = (
    await tx
      .select({ rel: copyRelationships, broker: brokerAccounts.broker })
      .from(copyRelationships)
      .innerJoin(brokerAccounts, eq(brokerAccounts.id, copyRelationships.brokerAccountId))
      .where(
        and(
          eq(copyRelationships.leaderId, leaderId),
          inArray(copyRelationships.status, ["active", "paused"]),
          lt(copyRelationships.lastLeaderSeq, seq),
        ),
      )
      .orderBy(asc(copyRelationships.createdAt), asc(copyRelationships.id))
      .limit(deps.config.fanoutBatchSize)
  ).map((r) => ({ ...r.rel, broker: r.broker }));
  if (rels.length === 0) return 0;

  const symbol = fill.symbol;
  const relIds = rels.map((r) => r.id);
  const accountIds = [...new Set(rels.map((r) => r.brokerAccountId))];
  const [inst] = await tx.select().from(instruments).where(eq(instruments.symbol, symbol));
  if (!inst) throw new Error(`unknown instrument ${symbol}`);
  const [leader] = await tx
    .select({ copyable: leaders.copyable })
    .from(leaders)
    .where(eq(leaders.id, leaderId));
  const [quote] = await tx.select().from(quotes).where(eq(quotes.symbol, symbol));
  const bid = D(quote?.bid ?? fill.price);
  const ask = D(quote?.ask ?? fill.price);

  const positions = await tx
    .select()
    .from(copyPositions)
    .where(inArray(copyPositions.relationshipId, relIds));
  const posByRel = groupBy(positions, (p) => p.relationshipId);
  const openOrders = await tx
    .select({
      rel: orders.relationshipId,
      symbol: orders.symbol,
      side: orders.side,
      qty: orders.qty,
      filled: orders.filledQty,
    })
    .from(orders)
    .where(
      and(
        inArray(orders.relationshipId, relIds),
        eq(orders.symbol, symbol),
        sql`${orders.status} not in ('filled','cancelled','rejected','expired')`,
      ),
    );
  const openQtyByRel = new Map<string, Decimal>();
  for (const o of openOrders) {
    const remaining = D(o.qty).minus(o.filled);
    const signed = o.side === "buy" ? remaining : remaining.neg();
    openQtyByRel.set(o.rel!, (openQtyByRel.get(o.rel!) ?? ZERO).plus(signed));
  }
  const balances = new Map(
    (
      await tx
        .select()
        .from(accountBalances)
        .where(inArray(accountBalances.brokerAccountId, accountIds))
    ).map((b) => [b.brokerAccountId, D(b.cash)]),
  );
  const fixedRatios = new Map(
    (
      await tx
        .select()
        .from(copySymbolRatios)
        .where(
          and(
            inArray(copySymbolRatios.relationshipId, relIds),
            eq(copySymbolRatios.symbol, symbol),
          ),
        )
    ).map((r) => [r.relationshipId, D(r.ratio)]),
  );
  const breakers = await tx
    .select()
    .from(circuitBreakers)
    .where(
      and(
        isNull(circuitBreakers.closedAt),
        or(
          eq(circuitBreakers.scope, "global"),
          and(eq(circuitBreakers.scope, "leader"), eq(circuitBreakers.scopeKey, leaderId)),
          and(eq(circuitBreakers.scope, "instrument"), eq(circuitBreakers.scopeKey, symbol)),
          eq(circuitBreakers.scope, "broker"),
        ),
      ),
    );
  const breakerFor = (broker: string): string | null => {
    const b = breakers.find((x) => x.scope !== "broker" || x.scopeKey === broker);
    return b ? `${b.scope}:${b.scopeKey} (${b.reason})` : null;
  };

  // Daily loss needs every symbol the limited copies hold, valued now.
  const limited = rels.filter((r) => r.dailyLossLimit !== null);
  const dayMarks = new Map<string, Decimal>();
  const pnlNow = new Map<string, Decimal>();
  if (limited.length > 0) {
    const day = now.toISOString().slice(0, 10);
    const heldSymbols = [...new Set(positions.map((p) => p.symbol))];
    const qs = heldSymbols.length
      ? await tx.select().from(quotes).where(inArray(quotes.symbol, heldSymbols))
      : [];
    const ms = heldSymbols.length
      ? await tx
          .select({ symbol: instruments.symbol, m: instruments.multiplier })
          .from(instruments)
          .where(inArray(instruments.symbol, heldSymbols))
      : [];
    const qMap = new Map(qs.map((q) => [q.symbol, q]));
    const mMap = new Map(ms.map((m) => [m.symbol, m.m]));
    for (const r of limited)
      pnlNow.set(r.id, copyPnl((posByRel.get(r.id) ?? []) as HeldPosition[], qMap, mMap));
    const marks = await tx
      .select()
      .from(copyDayMarks)
      .where(
        and(
          inArray(
            copyDayMarks.relationshipId,
            limited.map((r) => r.id),
          ),
          eq(copyDayMarks.day, day),
        ),
      );
    for (const m of marks) dayMarks.set(m.relationshipId, D(m.pnlAtStart));
    const missing = limited.filter((r) => !dayMarks.has(r.id));
    if (missing.length) {
      await tx
        .insert(copyDayMarks)
        .values(
          missing.map((r) => ({ relationshipId: r.id, day, pnlAtStart: fmt(pnlNow.get(r.id)!) })),
        )
        .onConflictDoNothing();
      for (const r of missing) dayMarks.set(r.id, pnlNow.get(r.id)!);
    }
  }

  const before = D(fill.positionBefore);
  const after = D(fill.positionAfter);
  const signedFill = after.minus(before);
  const flip = splitFlip(before, signedFill);

  const decisionRows: (typeof copyDecisions.$inferInsert)[] = [];
  const orderRows: (typeof orders.$inferInsert)[] = [];
  const ratioUpserts: { relationshipId: string; symbol: string; ratio: string }[] = [];
  const ratioDeletes: string[] = [];
  const correlationId = `lf:${fill.fillId}`;

  for (const rel of rels) {
    let ratio: Decimal;
    if (rel.sizingMode === "fixed_notional") {
      if (after.isZero()) {
        ratio = ZERO;
        if (fixedRatios.has(rel.id)) ratioDeletes.push(rel.id);
      } else if (flip.opensFromFlat || !fixedRatios.has(rel.id)) {
        // From flat (or the far side of a flip) the ratio comes from the opening quantity;
        // a copy that joined mid-position takes it from the whole position.
        const basis = flip.opensFromFlat ? flip.openQty : after;
        ratio = fixedNotionalRatio(rel.notional ?? "0", basis, fill.price, inst.multiplier);
        ratioUpserts.push({ relationshipId: rel.id, symbol, ratio: fmt(ratio) });
      } else {
        ratio = fixedRatios.get(rel.id)!;
      }
    } else {
      ratio = D(rel.ratio ?? 0);
    }
    const target = targetPosition({ ratio, leaderPosition: after, qtyStep: inst.qtyStep });
    const relPositions = posByRel.get(rel.id) ?? [];
    const position = D(relPositions.find((p) => p.symbol === symbol)?.qty ?? 0);
    const delta = orderDelta({ target, position, openOrderQty: openQtyByRel.get(rel.id) ?? ZERO });
    const openPositions = relPositions.filter((p) => !D(p.qty).isZero()).length;
    const decision: Decision = decide({
      status: rel.status,
      leaderCopyable: leader?.copyable ?? false,
      breakerOpen: breakerFor(rel.broker),
      position,
      delta,
      fillPrice: delta.isNeg() ? bid : ask,
      leaderPrice: fill.price,
      multiplier: inst.multiplier,
      qtyStep: inst.qtyStep,
      minQty: inst.minQty,
      minNotional: inst.minNotional,
      commissionPerUnit: inst.commissionPerUnit,
      availableCash: balances.get(rel.brokerAccountId) ?? ZERO,
      openPositions,
      maxSymbolExposure: rel.maxSymbolExposure,
      maxOpenPositions: rel.maxOpenPositions,
      maxSlippageBps: rel.maxSlippageBps,
      dailyLossLimit: rel.dailyLossLimit,
      dailyLoss:
        rel.dailyLossLimit !== null ? dayMarks.get(rel.id)!.minus(pnlNow.get(rel.id)!) : null,
      onInsufficientFunds: rel.onInsufficientFunds,
    });
    const clientOrderId = decision.orderQty.isZero() ? null : copyOrderId(rel.id, seq);
    decisionRows.push({
      relationshipId: rel.id,
      leaderFillId: fill.fillId,
      leaderEventSeq: seq,
      symbol,
      target: fmt(target),
      orderQty: fmt(decision.orderQty),
      action: decision.action,
      reason: decision.reason,
      checks: decision.checks,
      clientOrderId,
      at: now,
    });
    if (clientOrderId) {
      orderRows.push({
        clientOrderId,
        brokerAccountId: rel.brokerAccountId,
        relationshipId: rel.id,
        symbol,
        side: decision.orderQty.isPos() ? "buy" : "sell",
        type: "market",
        qty: fmt(decision.orderQty.abs()),
        status: "pending_submit",
        origin: "copy",
        leaderFillId: fill.fillId,
        leaderEventSeq: seq,
        correlationId,
        createdAt: now,
        updatedAt: now,
      });
    }
  }

  await bulkInsert(
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
      checks: d.checks,
      client_order_id: d.clientOrderId ?? null,
      at: d.at,
    })),
    { onConflict: "on conflict do nothing" },
  );
  await bulkInsert(
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
      status: o.status ?? "pending_submit",
      origin: o.origin,
      leader_fill_id: o.leaderFillId ?? null,
      leader_event_seq: o.leaderEventSeq ?? null,
      correlation_id: o.correlationId ?? null,
      created_at: o.createdAt,
      updated_at: o.updatedAt,
    })),
    { onConflict: "on conflict do nothing" },
  );
  if (ratioUpserts.length) {
    await tx
      .insert(copySymbolRatios)
      .values(ratioUpserts)
      .onConflictDoUpdate({
        target: [copySymbolRatios.relationshipId, copySymbolRatios.symbol],
        set: { ratio: sql`excluded.ratio` },
      });
  }
  if (ratioDeletes.length) {
    await tx
      .delete(copySymbolRatios)
      .where(
        and(
          inArray(copySymbolRatios.relationshipId, ratioDeletes),
          eq(copySymbolRatios.symbol, symbol),
        ),
      );
  }
  await appendEvents(
    tx,
    decisionRows.map((d) => ({
      stream: copyStream(d.relationshipId),
      type: "copy_decision",
      payload: {
        leaderFillId: d.leaderFillId,
        leaderSeq: seq,
        symbol,
        target: d.target,
        orderQty: d.orderQty,
        action: d.action,
        reason: d.reason,
        clientOrderId: d.clientOrderId,
      },
      at,
      correlationId,
    })),
  );
  await tx
    .update(copyRelationships)
    .set({ lastLeaderSeq: seq, lastReplicatedAt: now })
    .where(inArray(copyRelationships.id, relIds));
  deps.log.info(
    { correlationId, leaderId, seq, followers: rels.length, orders: orderRows.length },
    "fan-out batch",
  );
  return rels.length;
}
