import { eq, inArray, sql } from "drizzle-orm";
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
import { D, fmt, ZERO, type Decimal } from "../../domain/money";
import { transition, type OrderState } from "../../domain/order-state";
import { bookFill } from "../book/book-fill";
import { bookFillsBatch } from "../book/book-fills-batch";
import { ingestLeaderFill } from "../ingest/leader-events";
import { bookLeaderCharges } from "../ingest/leader-charges";
import { chargesReadFrom } from "../book/charges-window";
import { fillOf, leaderFillOf } from "../book/broker-events";
import { brokerReportEvent } from "../execute/order-status";
import type { EngineDeps } from "../deps";
import {
  copyOrderRow,
  loadPlanContext,
  planFor,
  relColumns,
  type Rel,
} from "../replicate/plan-context";
import { reconcileOrderId } from "../core/ids";
import { randomId } from "../core/random-id";
import { groupBy } from "../core/concurrency";
import { anyOf } from "../core/bulk";
import { metrics } from "../../ops/metrics";
import type { BrokerOrder, BrokerPosition } from "../../brokers/types";

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
  // Leaders' charges first: their book is what followers are sized and shown against.
  await bookLeaderCharges(deps);

  const accounts = await deps.db.execute<{ id: string; broker: string; external_id: string }>(sql`
    select a.id, a.broker, a.external_id from broker_accounts a
     where exists (select 1 from orders o where o.broker_account_id = a.id)
        or exists (select 1 from copy_relationships c where c.broker_account_id = a.id and c.status <> 'stopped')
     order by a.id`);
  await reconcileAccounts(
    deps,
    accounts.map((a) => ({ id: a.id, broker: a.broker, externalId: a.external_id })),
    items,
  );
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
  metrics.reconciled(mismatches);
  if (mismatches)
    deps.log.warn({ runId, trigger, mismatches, actions }, "reconciliation found differences");
  return { runId, mismatches, actions };
}

type Acct = { id: string; broker: string; externalId: string };
type BrokerTruth = {
  order: (externalId: string, clientOrderId: string) => Promise<BrokerOrder | null>;
  holdings: (a: Acct) => Promise<{ cash: string; positions: BrokerPosition[] }>;
};

const LIVE_STATUSES = [
  "submitted",
  "accepted",
  "partially_filled",
  "pending_cancel",
  "unknown",
] as const;

/**
 * Broker truth against our books for every account, set-based (ADR 0045): our live orders,
 * positions, balances and the leader accounts are loaded with one query each for all
 * accounts, and the broker's side with one `getHoldingsMany` per broker and chunk where the
 * broker offers it (else one account at a time, as before). Items come out per account in
 * the same order as the one-account loop wrote them: its orders, then positions, then cash.
 */
async function reconcileAccounts(deps: EngineDeps, accts: Acct[], items: Item[]) {
  if (accts.length === 0) return;
  const ids = new Set(accts.map((a) => a.id));
  const leaderOf = new Map(
    (
      await deps.db
        .select({ id: leaders.id, account: leaders.brokerAccountId })
        .from(leaders)
        .where(sql`${leaders.brokerAccountId} is not null`)
    ).map((l) => [l.account!, l.id]),
  );
  const live = groupBy(
    (
      await deps.db
        .select()
        .from(orders)
        .where(inArray(orders.status, [...LIVE_STATUSES]))
        .orderBy(orders.createdAt, orders.clientOrderId)
    ).filter((o) => ids.has(o.brokerAccountId)),
    (o) => o.brokerAccountId,
  );
  const truth = new Map<string, BrokerTruth>();
  for (const [name, list] of groupBy(accts, (a) => a.broker)) {
    const broker = deps.broker(name);
    if (typeof broker.getHoldingsMany !== "function") {
      truth.set(name, {
        order: (ext, coid) => broker.getOrder(ext, coid),
        holdings: async (a) => ({
          positions: await broker.getPositions(a.externalId),
          cash: (await broker.getAccount(a.externalId)).cash,
        }),
      });
      continue;
    }
    const accounts = new Map<string, { cash: string; positions: BrokerPosition[] }>();
    const found = new Map<string, BrokerOrder>();
    for (let i = 0; i < list.length; i += HOLDINGS_CHUNK) {
      const chunk = list.slice(i, i + HOLDINGS_CHUNK);
      const got = await broker.getHoldingsMany(
        chunk.map((a) => a.externalId),
        chunk.flatMap((a) =>
          (live.get(a.id) ?? []).map((o) => ({
            accountId: a.externalId,
            clientOrderId: o.clientOrderId,
          })),
        ),
      );
      for (const [k, v] of got.accounts) accounts.set(k, v);
      for (const [k, v] of got.orders) found.set(k, v);
    }
    truth.set(name, {
      order: async (ext, coid) => found.get(`${ext}|${coid}`) ?? null,
      // An account the batch did not know goes the one-account way (which says why).
      holdings: async (a) =>
        accounts.get(a.externalId) ?? {
          positions: await broker.getPositions(a.externalId),
          cash: (await broker.getAccount(a.externalId)).cash,
        },
    });
  }

  // Orders first, for every account: booking a missed fill moves our positions and cash,
  // which are compared only afterwards.
  const first = new Map<string, Item[]>();
  for (const a of accts) {
    const own: Item[] = [];
    first.set(a.id, own);
    for (const o of live.get(a.id) ?? [])
      await reconcileOrder(deps, a, leaderOf.get(a.id) ?? null, o, truth.get(a.broker)!, own);
  }

  // Commissions the broker posts apart from its fills (Alpaca's crypto fees) are fill reports
  // too: booked before cash is compared, each once (by its trade id), as a missed fill is.
  await bookCharges(deps, accts);

  // Positions and cash: record differences; our books change only through fills.
  const ours = groupBy(
    (await deps.db.select().from(positions)).filter((p) => ids.has(p.brokerAccountId)),
    (p) => p.brokerAccountId,
  );
  const balances = new Map(
    (await deps.db.select().from(accountBalances))
      .filter((b) => ids.has(b.brokerAccountId))
      .map((b) => [b.brokerAccountId, b]),
  );
  const owed = await feesNotYetAtBroker(deps, [...ids]);
  for (const acct of accts) {
    items.push(...first.get(acct.id)!);
    const held = await truth.get(acct.broker)!.holdings(acct);
    const theirs = new Map(held.positions.map((p) => [p.symbol, D(p.qty)]));
    const mine = new Map((ours.get(acct.id) ?? []).map((p) => [p.symbol, D(p.qty)]));
    for (const symbol of [...new Set([...theirs.keys(), ...mine.keys()])].sort()) {
      const t = theirs.get(symbol) ?? ZERO;
      const o = mine.get(symbol) ?? ZERO;
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
    const bal = balances.get(acct.id);
    // A fee leaves our books when it is charged and the broker's cash only when it moves
    // (at once at the paper broker's next pass, never at an external one: a receivable, ADR
    // 0060). Until then the broker holds our cash plus those fees, and that is no mismatch.
    const fees = owed.get(acct.id) ?? ZERO;
    if (bal && !D(bal.cash).plus(fees).eq(held.cash)) {
      items.push({
        kind: "cash_mismatch",
        brokerAccountId: acct.id,
        expected: held.cash,
        actual: fmt(D(bal.cash).plus(fees)),
        action: "recorded",
        ...(fees.isZero() ? {} : { detail: { booksCash: bal.cash, feesNotYetMoved: fmt(fees) } }),
      });
    }
  }
}

/**
 * Per broker account, the fees charged on our books whose cash has not left the account at
 * the broker yet: no cash move recorded (a platform fee before the next fee pass), pending,
 * or a receivable at an external broker. One query for all accounts.
 */
async function feesNotYetAtBroker(deps: EngineDeps, ids: string[]): Promise<Map<string, Decimal>> {
  if (ids.length === 0) return new Map();
  const rows = await deps.db.execute<{ id: string; owed: string }>(sql`
    select c.broker_account_id as id, sum(f.amount)::text as owed
      from copy_fees f
      join copy_relationships c on c.id = f.relationship_id
      left join fee_cash_moves m on m.copy_fee_id = f.id
     where (m.kind is null or m.kind <> 'moved')
       and c.broker_account_id = any(${sql.param(ids)}::uuid[])
     group by c.broker_account_id`);
  return new Map(rows.map((r) => [r.id, D(r.owed)]));
}

/**
 * The charges (brokers/types.ts `listCharges`) of every account at a broker that posts
 * them, from shortly before the latest one booked (or a week back), booked through the one
 * booking path: a repeat is a trade id already booked and changes nothing. A broker that
 * cannot answer leaves the cash comparison to say what is missing.
 */
async function bookCharges(deps: EngineDeps, accts: Acct[]) {
  const now = deps.clock.now();
  for (const [name, list] of groupBy(accts, (a) => a.broker)) {
    const broker = deps.broker(name);
    if (typeof broker.listCharges !== "function") continue;
    const latest = new Map(
      (
        await deps.db.execute<{ id: string; at: string }>(sql`
          select broker_account_id as id, max(filled_at)::text as at from fills
           where ${anyOf(
             sql`broker_account_id`,
             list.map((a) => a.id),
           )} and qty = 0
           group by 1`)
      ).map((r) => [r.id, new Date(r.at)]),
    );
    for (const a of list) {
      const since = chargesReadFrom(latest.get(a.id), now);
      let charges;
      try {
        charges = await broker.listCharges(a.externalId, since);
      } catch (err) {
        deps.log.warn({ account: a.id, error: String(err) }, "broker charges could not be read");
        continue;
      }
      if (charges.length === 0) continue;
      const booked = await deps.db.transaction((tx) =>
        bookFillsBatch(
          tx,
          charges.map((c) => ({
            brokerAccountId: a.id,
            clientOrderId: c.clientOrderId,
            fill: fillOf(c),
          })),
          deps.clock.now(),
        ),
      );
      if (booked) deps.log.info({ account: a.id, booked }, "booked broker commissions");
    }
  }
}

/** Accounts per getHoldingsMany call: bounded statements, a few calls for 10 000 accounts. */
const HOLDINGS_CHUNK = 5000;

/** One live order of ours against the broker's report of it. */
async function reconcileOrder(
  deps: EngineDeps,
  acct: Acct,
  leaderId: string | null,
  o: typeof orders.$inferSelect,
  truth: BrokerTruth,
  items: Item[],
) {
  const broker = deps.broker(acct.broker);
  const b = await truth.order(acct.externalId, o.clientOrderId);
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
    return;
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
  if (!ev) return;
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

/**
 * Each copy against its target, planned by the same planner and from the same context as
 * the fan-out: a leader fill the fan-out would have turned into an order here becomes the
 * same order, under the same checks (breakers, daily loss, slippage against the leader's
 * last fill price, funds shared with the account's working orders). Copies are planned in
 * batches of the fan-out's size, each batch's inputs loaded with one query per kind.
 */
async function reconcileCopies(deps: EngineDeps, runId: string, items: Item[]) {
  const all: Rel[] = await deps.db
    .select({ ...relColumns, broker: brokerAccounts.broker })
    .from(copyRelationships)
    .innerJoin(brokerAccounts, eq(brokerAccounts.id, copyRelationships.brokerAccountId))
    .where(inArray(copyRelationships.status, ["active", "paused"]))
    .orderBy(copyRelationships.createdAt, copyRelationships.id);
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
             where ${anyOf(sql.raw("relationship_id"), relIds)}
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
      // The mid, the slippage reference when the leader has no fill in a symbol: once per symbol.
      const mids = new Map<string, string>();
      const midOf = (symbol: string, quote: { bid: string; ask: string }) => {
        let m = mids.get(symbol);
        if (m === undefined) mids.set(symbol, (m = fmt(D(quote.bid).plus(quote.ask).div(2))));
        return m;
      };
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
          const leaderPrice = lastPrice.get(`${rel.leaderId}|${symbol}`) ?? midOf(symbol, quote);
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
