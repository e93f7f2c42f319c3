import { and, eq, inArray, sql } from "drizzle-orm";
import {
  accountBalances,
  brokerAccounts,
  copyPositions,
  copyRelationships,
  instruments,
  leaders,
  orders,
  quotes,
  replicationCursors,
} from "../../db/schema";
import { D, fmt, parseDecimal } from "../domain/money";
import { copyStopLossHit } from "../domain/risk";
import { proportionalRatio, type SizingMode } from "../domain/sizing";
import type { EngineDeps } from "./deps";
import { riskOrderId } from "./ids";
import { leaderEquity } from "./leader-book";
import { appendEvents, copyStream, leaderStream, type Tx } from "./streams";
import { copyPnl } from "./valuation";

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

/**
 * The worker's half of a stop: cancel what is still working at the broker for stopped
 * copies, then, once nothing is working, close what they hold. Idempotent.
 */
export async function settleStoppedCopies(deps: EngineDeps): Promise<number> {
  const rels = await deps.db.execute<{
    id: string;
    broker_account_id: string;
    close_on_stop: boolean;
    reason: string | null;
  }>(sql`
    select c.id, c.broker_account_id, c.close_on_stop, c.stop_reason as reason from copy_relationships c
     where c.status = 'stopped'
       and (exists (select 1 from orders o where o.relationship_id = c.id and o.origin <> 'risk' and o.status in ('submitted','accepted','partially_filled','unknown') and o.cancel_requested_at is null)
         or (c.close_on_stop and exists (select 1 from copy_positions p where p.relationship_id = c.id and p.qty <> 0)
             and not exists (select 1 from orders o where o.relationship_id = c.id and o.status not in ('filled','cancelled','rejected','expired'))))
     order by c.id`);
  let work = 0;
  for (const r of rels) {
    const working = await deps.db
      .update(orders)
      .set({ cancelRequestedAt: deps.clock.now() })
      .where(
        and(
          eq(orders.relationshipId, r.id),
          sql`${orders.origin} <> 'risk'`,
          inArray(orders.status, ["submitted", "accepted", "partially_filled", "unknown"]),
          sql`${orders.cancelRequestedAt} is null`,
        ),
      )
      .returning({ id: orders.id });
    work += working.length;
    if (working.length === 0 && r.close_on_stop) {
      work += await deps.db.transaction((tx) =>
        closePositions(deps, tx, r.id, r.broker_account_id, r.reason ?? "STOPPED"),
      );
    }
  }
  return work;
}

/** Sends the cancels the web app (or a stop) asked for. */
export async function sendRequestedCancels(deps: EngineDeps): Promise<number> {
  const due = await deps.db
    .select({ order: orders, broker: brokerAccounts.broker, externalId: brokerAccounts.externalId })
    .from(orders)
    .innerJoin(brokerAccounts, eq(brokerAccounts.id, orders.brokerAccountId))
    .where(
      and(
        sql`${orders.cancelRequestedAt} is not null`,
        inArray(orders.status, [
          "submitted",
          "accepted",
          "partially_filled",
          "unknown",
          "pending_submit",
        ]),
      ),
    )
    .orderBy(orders.createdAt, orders.clientOrderId);
  let n = 0;
  for (const { order, broker, externalId } of due) {
    if (order.status === "pending_submit") {
      await deps.db
        .update(orders)
        .set({ status: "cancelled", updatedAt: deps.clock.now() })
        .where(eq(orders.id, order.id));
      n++;
      continue;
    }
    try {
      const b = await deps.broker(broker).cancelOrder(externalId, order.clientOrderId);
      const next =
        b.status === "cancelled" || b.status === "expired" || b.status === "rejected"
          ? b.status
          : b.status === "filled"
            ? null
            : "pending_cancel";
      // A filled answer means the cancel lost the race: fills arrive as events.
      await deps.db
        .update(orders)
        .set({
          ...(next ? { status: next } : {}),
          cancelRequestedAt: null,
          updatedAt: deps.clock.now(),
        })
        .where(eq(orders.id, order.id));
      n++;
    } catch (err) {
      deps.log.warn(
        { clientOrderId: order.clientOrderId, err: String(err) },
        "cancel failed; will retry",
      );
    }
  }
  return n;
}

/** Orders that flatten every position the copy holds (always sent: they leave it flat). */
export async function closePositions(
  deps: EngineDeps,
  tx: Tx,
  relationshipId: string,
  brokerAccountId: string,
  reason: string,
): Promise<number> {
  const held = await tx
    .select()
    .from(copyPositions)
    .where(and(eq(copyPositions.relationshipId, relationshipId), sql`${copyPositions.qty} <> 0`));
  const now = deps.clock.now();
  const rows: (typeof orders.$inferInsert)[] = [];
  for (const p of held) {
    const [{ n }] = (await tx.execute<{ n: string }>(
      sql`select count(*) as n from orders where relationship_id = ${relationshipId} and symbol = ${p.symbol} and origin = 'risk'`,
    )) as unknown as [{ n: string }];
    const qty = D(p.qty);
    rows.push({
      clientOrderId: riskOrderId(relationshipId, reason, p.symbol, Number(n) + 1),
      brokerAccountId,
      relationshipId,
      symbol: p.symbol,
      side: qty.isPos() ? "sell" : "buy",
      type: "market",
      qty: fmt(qty.abs()),
      status: "pending_submit",
      origin: "risk",
      correlationId: `rk:${relationshipId}:${reason}`,
      createdAt: now,
      updatedAt: now,
    });
  }
  if (rows.length) await tx.insert(orders).values(rows).onConflictDoNothing();
  return rows.length;
}

/**
 * Copy stop-loss, checked whenever a quote moves: when the copy's P&L (realized plus
 * unrealized minus fees) falls to −pct % of its reference capital, close all and stop.
 */
export async function checkCopyStopLoss(deps: EngineDeps, symbol: string): Promise<string[]> {
  const rows = await deps.db.execute<{ id: string }>(sql`
    select distinct c.id from copy_relationships c
      join copy_positions p on p.relationship_id = c.id
     where c.status in ('active','paused') and c.copy_stop_loss_pct is not null
       and p.symbol = ${symbol} and (p.qty <> 0 or p.realized_pnl <> 0) -- a realized loss counts too
     order by c.id`);
  const stopped: string[] = [];
  for (const { id } of rows) {
    const held = await deps.db
      .select()
      .from(copyPositions)
      .where(eq(copyPositions.relationshipId, id));
    const symbols = held.map((h) => h.symbol);
    const qs = await deps.db.select().from(quotes).where(inArray(quotes.symbol, symbols));
    const ms = await deps.db
      .select({ s: instruments.symbol, m: instruments.multiplier })
      .from(instruments)
      .where(inArray(instruments.symbol, symbols));
    const pnl = copyPnl(
      held,
      new Map(qs.map((q) => [q.symbol, q])),
      new Map(ms.map((m) => [m.s, m.m])),
    );
    const [rel] = await deps.db
      .select()
      .from(copyRelationships)
      .where(eq(copyRelationships.id, id));
    if (
      rel &&
      copyStopLossHit({ pnl, referenceCapital: rel.referenceCapital, pct: rel.copyStopLossPct! })
    ) {
      deps.log.warn(
        { relationshipId: id, pnl: fmt(pnl) },
        "copy stop-loss hit: closing and stopping",
      );
      await stopCopy(deps, id, { reason: "COPY_STOP_LOSS", by: "engine" });
      stopped.push(id);
    }
  }
  return stopped;
}
