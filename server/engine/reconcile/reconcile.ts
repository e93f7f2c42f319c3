import { and, desc, eq, inArray, sql } from "drizzle-orm";
import {
  accountBalances,
  copyDecisions,
  copyPositions,
  copyRelationships,
  copySymbolRatios,
  instruments,
  leaderPositions,
  leaders,
  orders,
  positions,
  quotes,
  reconciliationItems,
  reconciliationRuns,
} from "../../../db/schema";
import { D, fmt, ZERO, type Decimal } from "../../domain/money";
import { transition, type OrderEvent, type OrderState } from "../../domain/order-state";
import { decide } from "../../domain/risk";
import { orderDelta, targetPosition } from "../../domain/sizing";
import { bookFill } from "../book/book-fill";
import { fillOf } from "../book/broker-events";
import type { EngineDeps } from "../deps";
import { reconcileOrderId } from "../core/ids";
import { randomId } from "../core/random-id";

type Item = {
  kind: string;
  brokerAccountId?: string;
  relationshipId?: string;
  symbol?: string;
  expected?: string;
  actual?: string;
  action: string;
  detail?: Record<string, unknown>;
};

/**
 * Broker truth against our books, then each copy against its target (DESIGN.md,
 * "Reconciliation"). Our live orders are looked up at the broker by client order id:
 * missed fills are fetched and booked (de-duplicated by trade id, so a stale snapshot can
 * never undo or double a fill) and final states adopted. Positions are compared and every
 * difference recorded; a missing broker report never means flat. Then a copy whose
 * position differs from its target while its latest decision for that symbol was OK gets
 * an adjustment order (origin `reconcile`), through the same risk checks as a copy order.
 */
export async function reconcile(
  deps: EngineDeps,
  trigger: "startup" | "periodic" | "on_demand" | "drain",
): Promise<{ runId: string; mismatches: number; actions: number }> {
  const runId = randomId(deps.rng);
  const started = deps.clock.now();
  await deps.db.insert(reconciliationRuns).values({ id: runId, trigger, startedAt: started });
  const items: Item[] = [];

  const accounts = await deps.db.execute<{ id: string; broker: string; external_id: string }>(sql`
    select a.id, a.broker, a.external_id from broker_accounts a
     where exists (select 1 from orders o where o.broker_account_id = a.id)
        or exists (select 1 from copy_relationships c where c.broker_account_id = a.id and c.status <> 'stopped')
     order by a.id`);
  for (const a of accounts)
    await reconcileAccount(deps, { id: a.id, broker: a.broker, externalId: a.external_id }, items);
  await reconcileCopies(deps, runId, items);

  const mismatches = items.filter((i) => i.action !== "none").length;
  const actions = items.filter((i) => i.action !== "none" && i.action !== "recorded").length;
  if (items.length) {
    await deps.db.insert(reconciliationItems).values(
      items.map((i) => ({
        runId,
        kind: i.kind,
        brokerAccountId: i.brokerAccountId ?? null,
        relationshipId: i.relationshipId ?? null,
        symbol: i.symbol ?? null,
        expected: i.expected ?? null,
        actual: i.actual ?? null,
        action: i.action,
        detail: i.detail ?? {},
        at: deps.clock.now(),
      })),
    );
  }
  await deps.db
    .update(reconciliationRuns)
    .set({ finishedAt: deps.clock.now(), mismatches, actions })
    .where(eq(reconciliationRuns.id, runId));
  if (mismatches)
    deps.log.warn({ runId, trigger, mismatches, actions }, "reconciliation found differences");
  return { runId, mismatches, actions };
}

async function reconcileAccount(
  deps: EngineDeps,
  acct: { id: string; broker: string; externalId: string },
  items: Item[],
) {
  const broker = deps.broker(acct.broker);
  const live = await deps.db
    .select()
    .from(orders)
    .where(
      and(
        eq(orders.brokerAccountId, acct.id),
        inArray(orders.status, [
          "submitted",
          "accepted",
          "partially_filled",
          "pending_cancel",
          "unknown",
        ]),
      ),
    )
    .orderBy(orders.createdAt, orders.clientOrderId);
  for (const o of live) {
    const b = await broker.getOrder(acct.externalId, o.clientOrderId);
    if (!b) {
      if (o.status === "unknown" || o.status === "submitted") {
        await deps.db
          .update(orders)
          .set({ status: "pending_submit", nextAttemptAt: null, updatedAt: deps.clock.now() })
          .where(eq(orders.id, o.id));
        items.push({
          kind: "order_missing_at_broker",
          brokerAccountId: acct.id,
          symbol: o.symbol,
          expected: o.clientOrderId,
          action: "resubmit_same_id",
        });
      } else {
        items.push({
          kind: "order_missing_at_broker",
          brokerAccountId: acct.id,
          symbol: o.symbol,
          expected: o.clientOrderId,
          action: "recorded",
        });
      }
      continue;
    }
    let booked = 0;
    if (D(b.filledQty).gt(o.filledQty)) {
      const fills = await broker.listFills(acct.externalId, { clientOrderId: o.clientOrderId });
      for (const f of fills) {
        const added = await deps.db.transaction(async (tx) => {
          const [cur] = await tx.select().from(orders).where(eq(orders.id, o.id)).for("update");
          return bookFill(tx, cur!, fillOf(f), deps.clock.now());
        });
        if (added) booked++;
      }
      if (booked)
        items.push({
          kind: "missed_fills",
          brokerAccountId: acct.id,
          symbol: o.symbol,
          expected: b.filledQty,
          actual: o.filledQty,
          action: "fills_booked",
          detail: { clientOrderId: o.clientOrderId, booked },
        });
    }
    const ev: OrderEvent | null =
      b.status === "cancelled"
        ? "cancel"
        : b.status === "expired"
          ? "expire"
          : b.status === "rejected"
            ? "reject"
            : b.status === "accepted"
              ? "accept"
              : null;
    if (ev) {
      const [cur] = await deps.db.select().from(orders).where(eq(orders.id, o.id));
      const state = cur!.status as OrderState;
      try {
        const next = transition(state, ev);
        if (next !== state) {
          await deps.db
            .update(orders)
            .set({
              status: next,
              brokerOrderId: cur!.brokerOrderId ?? b.brokerOrderId,
              updatedAt: deps.clock.now(),
            })
            .where(eq(orders.id, o.id));
          items.push({
            kind: "order_state",
            brokerAccountId: acct.id,
            symbol: o.symbol,
            expected: b.status,
            actual: state,
            action: "state_adopted",
            detail: { clientOrderId: o.clientOrderId },
          });
        }
      } catch {
        items.push({
          kind: "order_state_conflict",
          brokerAccountId: acct.id,
          symbol: o.symbol,
          expected: b.status,
          actual: state,
          action: "recorded",
          detail: { clientOrderId: o.clientOrderId },
        });
      }
    }
  }

  // Positions and cash: record differences; our books change only through fills.
  const theirs = new Map(
    (await broker.getPositions(acct.externalId)).map((p) => [p.symbol, D(p.qty)]),
  );
  const ours = new Map(
    (await deps.db.select().from(positions).where(eq(positions.brokerAccountId, acct.id))).map(
      (p) => [p.symbol, D(p.qty)],
    ),
  );
  for (const symbol of [...new Set([...theirs.keys(), ...ours.keys()])].sort()) {
    const t = theirs.get(symbol) ?? ZERO;
    const o = ours.get(symbol) ?? ZERO;
    if (!t.eq(o))
      items.push({
        kind: "position_mismatch",
        brokerAccountId: acct.id,
        symbol,
        expected: fmt(t),
        actual: fmt(o),
        action: "recorded",
      });
  }
  const account = await broker.getAccount(acct.externalId);
  const [bal] = await deps.db
    .select()
    .from(accountBalances)
    .where(eq(accountBalances.brokerAccountId, acct.id));
  if (bal && !D(bal.cash).eq(account.cash)) {
    items.push({
      kind: "cash_mismatch",
      brokerAccountId: acct.id,
      expected: account.cash,
      actual: bal.cash,
      action: "recorded",
    });
  }
}

async function reconcileCopies(deps: EngineDeps, runId: string, items: Item[]) {
  const rels = await deps.db
    .select({ rel: copyRelationships, copyable: leaders.copyable })
    .from(copyRelationships)
    .innerJoin(leaders, eq(leaders.id, copyRelationships.leaderId))
    .where(inArray(copyRelationships.status, ["active", "paused"]))
    .orderBy(copyRelationships.createdAt, copyRelationships.id);
  const now = deps.clock.now();
  for (const { rel, copyable } of rels) {
    const lpos = new Map(
      (
        await deps.db
          .select()
          .from(leaderPositions)
          .where(eq(leaderPositions.leaderId, rel.leaderId))
      ).map((p) => [p.symbol, D(p.qty)]),
    );
    const cpos = await deps.db
      .select()
      .from(copyPositions)
      .where(eq(copyPositions.relationshipId, rel.id));
    const cmap = new Map(cpos.map((p) => [p.symbol, D(p.qty)]));
    const fixed = new Map(
      (
        await deps.db
          .select()
          .from(copySymbolRatios)
          .where(eq(copySymbolRatios.relationshipId, rel.id))
      ).map((r) => [r.symbol, D(r.ratio)]),
    );
    const [bal] = await deps.db
      .select()
      .from(accountBalances)
      .where(eq(accountBalances.brokerAccountId, rel.brokerAccountId));
    const symbols = [...new Set([...lpos.keys(), ...cmap.keys()])].sort();
    for (const symbol of symbols) {
      const [inst] = await deps.db.select().from(instruments).where(eq(instruments.symbol, symbol));
      if (!inst) continue;
      const leaderPos = lpos.get(symbol) ?? ZERO;
      const ratio =
        rel.sizingMode === "fixed_notional" ? (fixed.get(symbol) ?? ZERO) : D(rel.ratio ?? 0);
      const target = targetPosition({ ratio, leaderPosition: leaderPos, qtyStep: inst.qtyStep });
      const position = cmap.get(symbol) ?? ZERO;
      const open = await openQty(deps, rel.id, symbol);
      const delta = orderDelta({ target, position, openOrderQty: open });
      if (delta.isZero()) continue;
      const [latest] = await deps.db
        .select({ reason: copyDecisions.reason })
        .from(copyDecisions)
        .where(and(eq(copyDecisions.relationshipId, rel.id), eq(copyDecisions.symbol, symbol)))
        .orderBy(desc(copyDecisions.leaderEventSeq), desc(copyDecisions.id))
        .limit(1);
      if (!latest && !rel.copyOpenPositions) continue; // the copy does not take over positions opened before it started
      if (latest && latest.reason !== "OK") {
        items.push({
          kind: "copy_drift",
          relationshipId: rel.id,
          symbol,
          expected: fmt(target),
          actual: fmt(position),
          action: "none",
          detail: { explainedBy: latest.reason },
        });
        continue;
      }
      const [q] = await deps.db.select().from(quotes).where(eq(quotes.symbol, symbol));
      if (!q) continue;
      const mid = D(q.bid).plus(q.ask).div(2);
      const d = decide({
        status: rel.status,
        leaderCopyable: copyable,
        breakerOpen: null,
        position,
        delta,
        fillPrice: delta.isNeg() ? q.bid : q.ask,
        leaderPrice: mid,
        multiplier: inst.multiplier,
        qtyStep: inst.qtyStep,
        minQty: inst.minQty,
        minNotional: inst.minNotional,
        commissionPerUnit: inst.commissionPerUnit,
        availableCash: bal?.cash ?? "0",
        openPositions: cpos.filter((p) => !D(p.qty).isZero()).length,
        maxSymbolExposure: rel.maxSymbolExposure,
        maxOpenPositions: rel.maxOpenPositions,
        maxSlippageBps: null,
        onInsufficientFunds: rel.onInsufficientFunds,
      });
      if (d.orderQty.isZero()) {
        items.push({
          kind: "copy_drift",
          relationshipId: rel.id,
          symbol,
          expected: fmt(target),
          actual: fmt(position),
          action: "none",
          detail: { blockedBy: d.reason },
        });
        continue;
      }
      const clientOrderId = reconcileOrderId(rel.id, runId, symbol);
      await deps.db
        .insert(orders)
        .values({
          clientOrderId,
          brokerAccountId: rel.brokerAccountId,
          relationshipId: rel.id,
          symbol,
          side: d.orderQty.isPos() ? "buy" : "sell",
          type: "market",
          qty: fmt(d.orderQty.abs()),
          status: "pending_submit",
          origin: "reconcile",
          correlationId: `rc:${runId}`,
          createdAt: now,
          updatedAt: now,
        })
        .onConflictDoNothing();
      items.push({
        kind: "copy_drift",
        relationshipId: rel.id,
        symbol,
        expected: fmt(target),
        actual: fmt(position),
        action: "adjustment_order",
        detail: { clientOrderId, qty: fmt(d.orderQty), reason: d.reason },
      });
    }
  }
}

async function openQty(deps: EngineDeps, relationshipId: string, symbol: string): Promise<Decimal> {
  const live = await deps.db
    .select({ side: orders.side, qty: orders.qty, filled: orders.filledQty })
    .from(orders)
    .where(
      and(
        eq(orders.relationshipId, relationshipId),
        eq(orders.symbol, symbol),
        sql`${orders.status} not in ('filled','cancelled','rejected','expired')`,
      ),
    );
  return live.reduce(
    (s, o) => s.plus(o.side === "buy" ? D(o.qty).minus(o.filled) : D(o.qty).minus(o.filled).neg()),
    ZERO,
  );
}
