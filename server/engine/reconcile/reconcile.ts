import { and, eq, inArray, sql } from "drizzle-orm";
import {
  accountBalances,
  brokerAccounts,
  copyRelationships,
  leaderPositions,
  leaders,
  orders,
  positions,
  reconciliationItems,
  reconciliationRuns,
} from "../../../db/schema";
import { D, fmt, ZERO } from "../../domain/money";
import { transition, type OrderState } from "../../domain/order-state";
import { bookFill } from "../book/book-fill";
import { ingestLeaderFill } from "../ingest/leader-events";
import { fillOf, leaderFillOf } from "../book/broker-events";
import { brokerReportEvent } from "../execute/order-status";
import type { EngineDeps } from "../deps";
import { copyOrderRow, loadPlanContext, planFor, type Rel } from "../replicate/plan-context";
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
  const [leader] = await deps.db
    .select({ id: leaders.id })
    .from(leaders)
    .where(eq(leaders.brokerAccountId, acct.id));
  const leaderId = leader?.id ?? null;
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
          .set({
            // The broker has no such order: it goes back to be sent again, same id.
            status: transition(
              o.status as OrderState,
              o.status === "unknown" ? "resolve_not_found" : "submit_failed",
            ),
            nextAttemptAt: null,
            updatedAt: deps.clock.now(),
          })
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
        // A leader's fill found only here is still the leader's: it enters the leader's
        // stream (once per trade id, however often it is found) and is copied from there.
        if (leaderId) await ingestLeaderFill(deps, leaderFillOf(leaderId, f));
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
    const ev = brokerReportEvent(b.status);
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

/**
 * Each copy against its target, planned by the same planner and from the same context as
 * the fan-out: a leader fill the fan-out would have turned into an order here becomes the
 * same order, under the same checks (breakers, daily loss, slippage against the leader's
 * last fill price, funds shared with the account's working orders). Copies are planned in
 * batches of the fan-out's size, each batch's inputs loaded with one query per kind.
 */
async function reconcileCopies(deps: EngineDeps, runId: string, items: Item[]) {
  const all: Rel[] = (
    await deps.db
      .select({ rel: copyRelationships, broker: brokerAccounts.broker })
      .from(copyRelationships)
      .innerJoin(brokerAccounts, eq(brokerAccounts.id, copyRelationships.brokerAccountId))
      .where(inArray(copyRelationships.status, ["active", "paused"]))
      .orderBy(copyRelationships.createdAt, copyRelationships.id)
  ).map((r) => ({ ...r.rel, broker: r.broker }));
  const now = deps.clock.now();
  const size = Math.max(1, deps.config.fanoutBatchSize);
  for (let i = 0; i < all.length; i += size) {
    const rels = all.slice(i, i + size);
    const leaderIds = [...new Set(rels.map((r) => r.leaderId))];
    const relIds = rels.map((r) => r.id);
    await deps.db.transaction(async (tx) => {
      const lpos = await tx
        .select()
        .from(leaderPositions)
        .where(inArray(leaderPositions.leaderId, leaderIds));
      const leaderPos = new Map(lpos.map((p) => [`${p.leaderId}|${p.symbol}`, D(p.qty)]));
      const copyable = new Map(
        (
          await tx
            .select({ id: leaders.id, copyable: leaders.copyable })
            .from(leaders)
            .where(inArray(leaders.id, leaderIds))
        ).map((l) => [l.id, l.copyable]),
      );
      const lastPrice = new Map(
        (
          await tx.execute<{ leader_id: string; symbol: string; price: string }>(sql`
            select distinct on (leader_id, symbol) leader_id, symbol, price from leader_fills
             where leader_id in ${leaderIds}
             order by leader_id, symbol, event_seq desc`)
        ).map((r) => [`${r.leader_id}|${r.symbol}`, r.price]),
      );
      const latest = new Map(
        (
          await tx.execute<{ relationship_id: string; symbol: string; reason: string }>(sql`
            select distinct on (relationship_id, symbol) relationship_id, symbol, reason from copy_decisions
             where relationship_id in ${relIds}
             order by relationship_id, symbol, leader_event_seq desc, id desc`)
        ).map((r) => [`${r.relationship_id}|${r.symbol}`, r.reason]),
      );
      const symbolsOf = (rel: Rel, held: string[]) =>
        [
          ...new Set([
            ...lpos.filter((p) => p.leaderId === rel.leaderId).map((p) => p.symbol),
            ...held,
          ]),
        ].sort();
      const ctx = await loadPlanContext(tx, rels, [...new Set(lpos.map((p) => p.symbol))], now);
      const orderRows: (typeof orders.$inferInsert)[] = [];
      for (const rel of rels) {
        const held = (ctx.copyPositions.get(rel.id) ?? []).map((p) => p.symbol);
        for (const symbol of symbolsOf(rel, held)) {
          const inst = ctx.instruments.get(symbol);
          const quote = ctx.quotes.get(symbol);
          if (!inst || !quote) continue;
          const lp = leaderPos.get(`${rel.leaderId}|${symbol}`) ?? ZERO;
          const k = `${rel.id}|${symbol}`;
          const reason = latest.get(k);
          if (reason === undefined && !rel.copyOpenPositions) continue; // positions from before the copy are not taken over
          const mid = D(quote.bid).plus(quote.ask).div(2);
          const leaderPrice = lastPrice.get(`${rel.leaderId}|${symbol}`) ?? fmt(mid);
          // Planned first (it books nothing): an explained drift is then left alone.
          const plan = planFor(
            ctx,
            rel,
            symbol,
            { positionBefore: lp, positionAfter: lp },
            leaderPrice,
            copyable.get(rel.leaderId) ?? false,
          );
          if (plan.delta.isZero()) continue;
          const position = (ctx.copyPositions.get(rel.id) ?? []).find((p) => p.symbol === symbol);
          const actual = fmt(position?.qty ?? "0");
          if (reason !== undefined && reason !== "OK") {
            items.push({
              kind: "copy_drift",
              relationshipId: rel.id,
              symbol,
              expected: fmt(plan.target),
              actual,
              action: "none",
              detail: { explainedBy: reason },
            });
            continue;
          }
          if (plan.orderQty.isZero()) {
            items.push({
              kind: "copy_drift",
              relationshipId: rel.id,
              symbol,
              expected: fmt(plan.target),
              actual,
              action: "none",
              detail: { blockedBy: plan.reason, checks: plan.checks },
            });
            continue;
          }
          const clientOrderId = reconcileOrderId(rel.id, runId, symbol);
          orderRows.push(
            copyOrderRow(rel, symbol, plan, {
              clientOrderId,
              origin: "reconcile",
              correlationId: `rc:${runId}`,
              now,
            }),
          );
          items.push({
            kind: "copy_drift",
            relationshipId: rel.id,
            symbol,
            expected: fmt(plan.target),
            actual,
            action: "adjustment_order",
            detail: {
              clientOrderId,
              qty: fmt(plan.orderQty),
              reason: plan.reason,
              checks: plan.checks,
            },
          });
        }
      }
      if (orderRows.length) await tx.insert(orders).values(orderRows).onConflictDoNothing();
    });
  }
}
