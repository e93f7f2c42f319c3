import { and, eq, inArray, sql } from "drizzle-orm";
import {
  brokerAccounts,
  copyDecisions,
  copyPositions,
  copyRelationships,
  orders,
} from "../../../db/schema";
import { D, fmt } from "../../domain/money";
import { transition, type OrderState } from "../../domain/order-state";
import { copyStopLossHit } from "../../domain/risk";
import { brokerReportEvent, stateAfter } from "../execute/order-status";
import { valuer, type HeldPosition } from "../../domain/valuation";
import { fxText } from "../../domain/fixed";
import type { EngineDeps } from "../deps";
import { riskOrderId } from "../core/ids";
import type { Executor, Tx } from "../core/streams";
import { settleStoppedCopyFees } from "../fees/settle";
import { stopCopy } from "./intents";

/*
 * The worker's side of copies: carrying out stops (cancel what is working, then close what
 * is held), sending cancels the web asked for, and the copy stop-loss on every quote. The
 * web's side (start, pause, resume, allocation, stop request) is in ./intents.ts.
 */

/**
 * The worker's half of a stop: cancel what is still working at the broker for stopped
 * copies, then, once nothing is working, close what they hold. Idempotent.
 */
export async function settleStoppedCopies(deps: EngineDeps): Promise<number> {
  // One statement per pump pass for both halves (it runs on every pass, even when nothing
  // moves): the copies with work to do, and those whose fee period is ready to settle.
  const found = await deps.db.execute<{
    id: string;
    broker_account_id: string;
    close_on_stop: boolean;
    reason: string | null;
    act: boolean;
    settle: boolean;
  }>(sql`
    select id, broker_account_id, close_on_stop, reason, act, settle from (
      select c.id, c.broker_account_id, c.close_on_stop, c.stop_reason as reason,
             (exists (select 1 from orders o where o.relationship_id = c.id and o.origin <> 'risk' and o.status in ('submitted','accepted','partially_filled','unknown') and o.cancel_requested_at is null)
               or (c.close_on_stop and exists (select 1 from copy_positions p where p.relationship_id = c.id and p.qty <> 0)
                   and not exists (select 1 from orders o where o.relationship_id = c.id and o.status not in ('filled','cancelled','rejected','expired')))) as act,
             -- Once nothing is held or working, the stop settles the fee period so far, once.
             (c.fees_settled_at is null
               and not exists (select 1 from orders o where o.relationship_id = c.id and o.status not in ('filled','cancelled','rejected','expired'))
               and (not c.close_on_stop or not exists (select 1 from copy_positions p where p.relationship_id = c.id and p.qty <> 0))) as settle
        from copy_relationships c where c.status = 'stopped') s
     where act or settle
     order by id`);
  const rels = found.filter((r) => r.act);
  const settled = found.filter((r) => r.settle);
  let work = 0;
  for (const r of settled) if (await settleStoppedCopyFees(deps, r.id)) work++;
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
        .set({ status: transition("pending_submit", "cancel"), updatedAt: deps.clock.now() })
        .where(eq(orders.id, order.id));
      n++;
      continue;
    }
    try {
      const b = await deps.broker(broker).cancelOrder(externalId, order.clientOrderId);
      const answer = brokerReportEvent(b.status);
      const next =
        b.status === "filled"
          ? null
          : stateAfter(order.status as OrderState, answer ?? "cancel_request");
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
  if (rows.length) {
    const placed = await tx
      .insert(orders)
      .values(rows)
      .onConflictDoNothing()
      .returning({ clientOrderId: orders.clientOrderId, symbol: orders.symbol });
    // One decision per symbol closed, so the follower sees why the position went
    // (replay-format.md: a stop's decisions have no leader fill and reason STOPPED or
    // COPY_STOP_LOSS). Ordered after the last leader event the copy had seen.
    const [rel] = await tx
      .select({ seq: copyRelationships.lastLeaderSeq })
      .from(copyRelationships)
      .where(eq(copyRelationships.id, relationshipId));
    const bySymbol = new Map(held.map((p) => [p.symbol, D(p.qty)]));
    if (placed.length)
      await tx.insert(copyDecisions).values(
        placed.map((o) => ({
          relationshipId,
          leaderFillId: null,
          leaderEventSeq: rel?.seq ?? 0,
          symbol: o.symbol,
          target: "0",
          orderQty: fmt(bySymbol.get(o.symbol)!.neg()),
          action: "placed" as const,
          reason: reason === "COPY_STOP_LOSS" ? "COPY_STOP_LOSS" : "STOPPED",
          checks: [
            {
              check: "stop",
              passed: true,
              detail:
                reason === "COPY_STOP_LOSS"
                  ? "the copy's stop-loss was hit: closing at market"
                  : "the copy was stopped: closing at market",
            },
          ],
          clientOrderId: o.clientOrderId,
          at: now,
        })),
      );
  }
  return rows.length;
}

/**
 * Copy stop-loss, checked whenever a quote moves: when the copy's P&L (realized plus
 * unrealized minus fees) falls to −pct % of its reference capital, close all and stop.
 *
 * Set-based (ADR 0045): ONE statement per quote. PostgreSQL first narrows the copies that
 * hold the symbol (through `copy_positions_symbol_idx`) to those whose loss is within
 * `STOP_LOSS_MARGIN_PCT` points of their limit, by its own exact numeric arithmetic; only
 * those come back, with all their positions, quotes and multipliers. The decision itself
 * stays with the one valuation (`valuer().copyPnl`) and the one rule (`copyStopLossHit`)
 * in memory: the SQL is a pre-filter that may let through more, never fewer (the margin
 * absorbs any future refinement of the valuation; stops.test.ts compares it with the rule
 * applied to every copy). Only copies that are hit cost further queries (the stop itself).
 */
export async function checkCopyStopLoss(deps: EngineDeps, symbol: string): Promise<string[]> {
  const { copies, quotes, multipliers } = await stopLossCandidates(deps.db, symbol);
  const value = valuer(quotes, multipliers);
  const stopped: string[] = [];
  for (const [id, { rel, held }] of copies) {
    const pnl = fxText(value.copyPnl(held));
    if (
      copyStopLossHit({
        pnl: D(pnl).minus(rel.fees_charged), // fees charged count, as commissions do
        referenceCapital: rel.reference_capital,
        pct: rel.pct,
      })
    ) {
      deps.log.warn({ relationshipId: id, pnl }, "copy stop-loss hit: closing and stopping");
      await stopCopy(deps, id, { reason: "COPY_STOP_LOSS", by: "engine" });
      stopped.push(id);
    }
  }
  return stopped;
}

/**
 * The pre-filter of `checkCopyStopLoss`: every limited copy holding `symbol` whose loss is
 * within `marginPct` points of its limit, with all of its positions and their quotes and
 * multipliers. With a margin of 0 it is exactly the set the rule stops (the arithmetic is
 * exact; stops.test.ts holds it to that).
 */
export async function stopLossCandidates(
  db: Executor,
  symbol: string,
  marginPct: number = STOP_LOSS_MARGIN_PCT,
) {
  const rows = await db.execute<{
    id: string;
    reference_capital: string;
    pct: string;
    fees_charged: string;
    symbol: string;
    qty: string;
    avg_cost: string;
    realized_pnl: string;
    fees: string;
    bid: string | null;
    ask: string | null;
    multiplier: string | null;
  }>(sql`
    with held as (
      select c.id, c.reference_capital, c.copy_stop_loss_pct as pct, c.fees_charged
        from copy_positions s join copy_relationships c on c.id = s.relationship_id
       where s.symbol = ${symbol} and (s.qty <> 0 or s.realized_pnl <> 0) -- a realized loss counts too
         and c.status in ('active','paused') and c.copy_stop_loss_pct is not null),
    near as (
      -- The pre-filter: the copy's P&L as valuation.ts values it (exit prices, unquoted at
      -- the average cost, multiplier 1 when unknown), kept when within the margin.
      select held.* from held
        join copy_positions p on p.relationship_id = held.id
        left join quotes q on q.symbol = p.symbol
        left join instruments i on i.symbol = p.symbol
       group by held.id, held.reference_capital, held.pct, held.fees_charged
      having sum(p.realized_pnl - p.fees + case when p.qty = 0 then 0 else
               (coalesce(case when p.qty < 0 then q.ask else q.bid end, p.avg_cost) - p.avg_cost)
               * p.qty * coalesce(i.multiplier, 1) end) - held.fees_charged
             <= (${String(marginPct)}::numeric - held.pct) / 100 * held.reference_capital)
    select near.id, near.reference_capital, near.pct, near.fees_charged,
           p.symbol, p.qty, p.avg_cost, p.realized_pnl, p.fees, q.bid, q.ask, i.multiplier
      from near join copy_positions p on p.relationship_id = near.id
      left join quotes q on q.symbol = p.symbol
      left join instruments i on i.symbol = p.symbol
     order by near.id, p.symbol`);
  const quoteMap = new Map<string, { bid: string; ask: string }>();
  const mult = new Map<string, string>();
  const byRel = new Map<string, { rel: (typeof rows)[number]; held: HeldPosition[] }>();
  for (const r of rows) {
    if (r.bid !== null && r.ask !== null) quoteMap.set(r.symbol, { bid: r.bid, ask: r.ask });
    if (r.multiplier !== null) mult.set(r.symbol, r.multiplier);
    let entry = byRel.get(r.id);
    if (!entry) byRel.set(r.id, (entry = { rel: r, held: [] }));
    entry.held.push({
      symbol: r.symbol,
      qty: r.qty,
      avgCost: r.avg_cost,
      realizedPnl: r.realized_pnl,
      fees: r.fees,
    });
  }
  return { copies: byRel, quotes: quoteMap, multipliers: mult };
}

/**
 * How close to its limit (in percentage points of the reference capital) a copy's loss
 * must be, by the SQL pre-filter's arithmetic, for the exact rule to look at it. The
 * arithmetic is exact, so any margin is safe today; a point keeps it safe if the
 * valuation grows a term the SQL does not know, at the cost of re-checking copies that
 * are already close.
 */
export const STOP_LOSS_MARGIN_PCT = 1;
