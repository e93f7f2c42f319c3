import { eq, getTableColumns, sql } from "drizzle-orm";
import { brokerAccounts, copyDecisions, orders } from "../../../db/schema";
import { packChecks } from "../../../db/schema/columns";
import {
  BrokerRateLimitedError,
  BrokerRejectedError,
  BrokerTransientError,
  BrokerUnknownOutcomeError,
  type BrokerOrder,
} from "../../brokers/types";
import {
  canTransition,
  transition,
  type OrderEvent,
  type OrderState,
} from "../../domain/order-state";
import { recordset, anyOf } from "../core/bulk";
import { stateAfter } from "./order-status";
import { forEachLimit, groupBy } from "../core/concurrency";
import { recordBrokerFailure } from "../risk/breakers";
import { takeSubmitBudget } from "./submit-budget";
import type { EngineDeps } from "../deps";
import { accountStream, appendEvents, type Executor } from "../core/streams";
import { metrics } from "../../ops/metrics";

type OrderRow = typeof orders.$inferSelect;

/** What sending an order reads of it: the claim returns these, a fan-out hands these over. */
export type SubmitOrder = Pick<
  OrderRow,
  | "id"
  | "clientOrderId"
  | "brokerAccountId"
  | "symbol"
  | "side"
  | "type"
  | "qty"
  | "limitPrice"
  | "status"
  | "attempts"
  | "origin"
  | "correlationId"
  | "createdAt"
>;

/** An order this worker holds for sending, with its account at the broker. */
export type Claimed = { order: SubmitOrder; broker: string; externalId: string };

const SUBMITTED = transition("pending_submit", "submit");

/**
 * The state a fan-out inserts its orders in when it hands them straight to this worker's
 * submission (`submitDueOrders`' `fresh`): claimed at insert, as the claim below would
 * have marked them, attempt counted.
 */
export const CLAIMED_AT_INSERT = { status: SUBMITTED, attempts: 1 };

/** How long a worker's claim on due orders lasts if it dies before finishing them. */
const CLAIM_MS = 30_000;

/**
 * Sends orders that are due to their broker. The order row, with its client order id, was
 * written before this runs (TigerBeetle's rule: persist the id, then submit, and retry with
 * the same id). Outcomes:
 * - accepted: state `accepted`; fills arrive on the broker's event stream;
 * - definitive rejection: `rejected`, and the copy decision is rewritten to say so;
 * - transient failure or rate limit: back to `pending_submit` with exponential backoff and
 *   jitter, until `maxSubmitAttempts`;
 * - unknown outcome (timeout): `unknown`, resolved at once by asking the broker for the id;
 *   resubmitted (same id) only if the broker has no such order.
 * Returns how many submissions were attempted.
 */
export async function submitDueOrders(
  deps: EngineDeps,
  opts: {
    limit?: number;
    /**
     * Orders a fan-out of this worker has just inserted already claimed (CLAIMED_AT_INSERT)
     * and hands over in memory, committed: sent with the claimed ones, in the same order, with
     * no claim statement (ADR 0041, session 11). Only the worker that inserted them has them;
     * if it dies first, reconciliation finds them `submitted` and missing at the broker and
     * sends them back to be submitted, same id, as for any claim a dead worker left.
     */
    fresh?: readonly Claimed[];
  } = {},
): Promise<number> {
  const claimed = await claimDueOrders(deps, opts.limit ?? deps.config.submitClaimLimit ?? 500);
  const due = opts.fresh?.length ? inClaimOrder([...claimed, ...opts.fresh]) : claimed;
  if (due.length === 0) return 0;
  // Brokers with a batch call get fresh submissions in bulk; retries and unknowns, and
  // brokers without one, take the single path.
  const single: typeof due = [];
  const batches = new Map<string, typeof due>();
  // Closing orders first: under backpressure, reducing risk must not wait behind new exposure.
  const ordered = [...due].sort(
    (a, b) => Number(b.order.origin === "risk") - Number(a.order.origin === "risk"),
  );
  const wanted = new Map<string, number>();
  for (const d of ordered) wanted.set(d.broker, (wanted.get(d.broker) ?? 0) + 1);
  const budget = new Map<string, number>();
  for (const [name, n] of wanted) budget.set(name, takeSubmitBudget(deps, name, n));
  let deferred = 0;
  const release: typeof due = [];
  for (const d of ordered) {
    const left = budget.get(d.broker) ?? 0;
    if (left <= 0) {
      deferred++; // over this pass's budget: released below, stays pending for the next pass
      release.push(d);
      continue;
    }
    budget.set(d.broker, left - 1);
    if (d.order.status === "submitted" && typeof deps.broker(d.broker).placeOrders === "function") {
      const list = batches.get(d.broker) ?? [];
      list.push(d);
      batches.set(d.broker, list);
    } else single.push(d);
  }
  if (release.length) await releaseClaims(deps, release);
  for (const [brokerName, list] of batches) await submitBatch(deps, brokerName, list);
  const byAccount = [...groupBy(single, (d) => d.order.brokerAccountId).values()];
  await forEachLimit(byAccount, deps.config.accountConcurrency, async (list) => {
    for (const { order, broker, externalId } of list) {
      if (order.status === "unknown") await resolveUnknown(deps, order, broker, externalId);
      else await submitOne(deps, order, broker, externalId);
    }
  });
  return due.length - deferred;
}

/**
 * The claim's order, (created_at, client_order_id), for claimed and handed-over orders
 * together; ids compared by code unit, as PostgreSQL's C collation (the embedded server's).
 */
function inClaimOrder(list: Claimed[]): Claimed[] {
  return list.sort((a, b) => {
    const t = a.order.createdAt.getTime() - b.order.createdAt.getTime();
    if (t !== 0) return t;
    const x = a.order.clientOrderId;
    const y = b.order.clientOrderId;
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

/**
 * Claims due orders in ONE statement that also marks the fresh ones submitted (ADR 0041:
 * the order row is written at its insert, this claim and its fill, not once more for a
 * separate `submitted` mark). Claim, don't just read: SKIP LOCKED plus a short claim on
 * next_attempt_at means two workers never send the same order at the same time. A fresh
 * order leaves `pending_submit` here, by the table's `submit`, with its attempt counted, so
 * no other worker sees it as due at all; `unknown` ones keep their state and are only
 * claimed. A worker that dies after this statement leaves `submitted` orders, which
 * reconciliation resolves with the broker by client order id like any order in flight; an
 * `unknown` claim simply expires. Orders that end up not sent in this pass (over the
 * budget) go back by `submit_failed` (releaseClaims). Returned in (created_at,
 * client_order_id) order, with the state after the claim.
 */
async function claimDueOrders(deps: EngineDeps, limit: number): Promise<Claimed[]> {
  const now = deps.clock.now();
  const claimUntil = new Date(now.getTime() + CLAIM_MS).toISOString();
  const rows = await deps.db.execute<ClaimRow>(sql`
    with due as (
      select id from orders
       where status in ('pending_submit', 'unknown')
         and (next_attempt_at is null or next_attempt_at <= ${now.toISOString()}::timestamptz)
       order by created_at, client_order_id
       limit ${limit}
       for update skip locked),
    claimed as (
    update orders o
       set next_attempt_at = ${claimUntil}::timestamptz,
           status = case when o.status = 'pending_submit' then ${SUBMITTED}::order_status else o.status end,
           attempts = o.attempts + case when o.status = 'pending_submit' then 1 else 0 end
      from due, broker_accounts ba
     where o.id = due.id and ba.id = o.broker_account_id
    returning ${sql.raw(CLAIM_RETURNING)}, ba.broker as "broker", ba.external_id as "externalId")
    select * from claimed order by "createdAt", "clientOrderId"`);
  return rows.map((r) => ({
    order: claimRowToOrder(r),
    broker: r.broker,
    externalId: r.externalId,
  }));
}

/** The claim's `submitted` undone for orders not sent in this pass (the attempt is not counted). */
export async function releaseClaims(deps: EngineDeps, list: Claimed[]): Promise<void> {
  const marked = list.filter((d) => d.order.status === "submitted").map((d) => d.order.id);
  const claimedOnly = list.filter((d) => d.order.status !== "submitted").map((d) => d.order.id);
  if (marked.length)
    await deps.db
      .update(orders)
      .set({
        status: transition("submitted", "submit_failed"),
        attempts: sql`${orders.attempts} - 1`,
        nextAttemptAt: null,
      })
      .where(anyOf(orders.id, marked));
  if (claimedOnly.length)
    await deps.db.update(orders).set({ nextAttemptAt: null }).where(anyOf(orders.id, claimedOnly));
}

/** Orders per broker batch call unless the config says otherwise (measured: ADR 0041). */
const SUBMIT_BATCH_SIZE = 2000;

/** The columns sending reads (SubmitOrder), by their TypeScript names, for the claim's RETURNING. */
const SUBMIT_COLUMNS = [
  "id",
  "clientOrderId",
  "brokerAccountId",
  "symbol",
  "side",
  "type",
  "qty",
  "limitPrice",
  "status",
  "attempts",
  "origin",
  "correlationId",
  "createdAt",
] as const satisfies ReadonlyArray<keyof SubmitOrder>;
const CLAIM_RETURNING = SUBMIT_COLUMNS.map(
  (key) => `o.${getTableColumns(orders)[key].name} as "${key}"`,
).join(", ");

type ClaimRow = Omit<SubmitOrder, "attempts" | "createdAt"> & {
  attempts: string | number;
  createdAt: Date | string;
  broker: string;
  externalId: string;
};

/**
 * A raw row as Drizzle would map it: integers may arrive as strings from the driver,
 * timestamps as Dates (or strings, when a driver is configured to keep them as text).
 */
function claimRowToOrder(r: ClaimRow): SubmitOrder {
  const { broker: _b, externalId: _e, ...row } = r;
  return { ...row, attempts: Number(row.attempts), createdAt: new Date(row.createdAt) };
}

/**
 * Many submissions in one broker call: the orders were marked submitted by the claim,
 * working ones are adopted in one statement; each failure takes the same path as a single
 * submission's.
 */
async function submitBatch(
  deps: EngineDeps,
  brokerName: string,
  list: Array<{ order: SubmitOrder; externalId: string }>,
): Promise<void> {
  const broker = deps.broker(brokerName);
  const size = Math.max(1, deps.config.submitBatchSize ?? SUBMIT_BATCH_SIZE);
  // Side by side (`submitConcurrency`, the worker's): parts of whole accounts, so that one
  // account's orders are all in one part, in their order, and reach the broker in sequence.
  // One at a time (replays): the claim's order, cut every `size`, exactly as before, so a
  // seeded broker sees the same requests in the same order.
  const together = (deps.config.submitConcurrency ?? 1) > 1;
  const parts = together ? partsOfWholeAccounts(list, size) : slices(list, size);
  await forEachLimit(parts, deps.config.submitConcurrency ?? 1, async (part) => {
    const ids = part.map((p) => p.order.id);
    let results: Awaited<ReturnType<NonNullable<typeof broker.placeOrders>>>;
    const sentAt = Date.now();
    try {
      results = await broker.placeOrders!(
        part.map(({ order, externalId }) => ({
          accountId: externalId,
          clientOrderId: order.clientOrderId,
          symbol: order.symbol,
          side: order.side,
          type: order.type,
          qty: order.qty,
          ...(order.limitPrice ? { limitPrice: order.limitPrice } : {}),
        })),
      );
    } catch (err) {
      // The batch as a whole failed: any of them may or may not exist. Ask, never resend blind.
      deps.log.warn(
        { broker: brokerName, orders: part.length, err: String(err) },
        "batch submission failed; resolving each order",
      );
      await deps.db
        .update(orders)
        .set({ status: transition("submitted", "timeout"), nextAttemptAt: null })
        .where(anyOf(orders.id, ids));
      return;
    }
    metrics.placed(results, sentAt);
    const accepted: Array<{ order: SubmitOrder; b: BrokerOrder }> = [];
    for (let k = 0; k < part.length; k++) {
      const r = results[k]!;
      const order = part[k]!.order; // marked `submitted` (attempt counted) by the claim
      if (r.ok && r.order.status !== "rejected") accepted.push({ order, b: r.order });
      else if (r.ok) await reject(deps, order, r.order.rejectReason ?? "REJECTED");
      else await handleSubmitError(deps, order, r.error);
    }
    if (accepted.length === 0) return;
    // An order the broker filled in its answer (a market order against a quote) is not
    // marked accepted here: it stays `submitted` until its fill is booked from the broker's
    // stream, which moves it to `filled` and records the broker's order id (ADR 0041). One
    // orders update (non-HOT: status is indexed) and one event less per copy. If its fill
    // report is lost, reconciliation finds the order at the broker, as for any live order.
    const working = accepted.filter(({ b }) => b.status !== "filled");
    if (working.length === 0) return;
    await deps.db.transaction(async (tx) => {
      // The table's `accept` from the state we left it in; a fill booked meanwhile (it can
      // arrive before this answer) moved the order on, and then its state stays.
      const rows = working.map((a) => ({
        id: a.order.id,
        broker_order_id: a.b.brokerOrderId,
        from_status: a.order.status,
        to_status: transition(a.order.status, "accept"),
      }));
      await tx.execute(sql`
        update orders o set status = case when o.status::text = v.from_status then v.to_status::order_status else o.status end,
                            broker_order_id = v.broker_order_id, next_attempt_at = null, updated_at = ${deps.clock.now().toISOString()}::timestamptz
          from ${recordset(rows, "id uuid, broker_order_id text, from_status text, to_status text")}
         where o.id = v.id`);
      await appendEvents(
        tx,
        working.map(({ order, b }) => ({
          stream: accountStream(order.brokerAccountId),
          type: "order_accepted",
          payload: { clientOrderId: order.clientOrderId, brokerOrderId: b.brokerOrderId },
          at: deps.clock.now(),
          correlationId: order.correlationId,
        })),
      );
    });
  });
}

function slices<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

/**
 * `list` cut into parts of about `size` orders without splitting an account: an account's
 * orders stay together and in their order. A part may run over `size` by one account's
 * orders, which is a handful.
 */
export function partsOfWholeAccounts<T extends { order: { brokerAccountId: string } }>(
  list: readonly T[],
  size: number,
): T[][] {
  const byAccount = groupBy(list, (d) => d.order.brokerAccountId);
  const parts: T[][] = [];
  let part: T[] = [];
  for (const orders of byAccount.values()) {
    if (part.length > 0 && part.length + orders.length > size) {
      parts.push(part);
      part = [];
    }
    part.push(...orders);
  }
  if (part.length) parts.push(part);
  return parts;
}

async function submitOne(
  deps: EngineDeps,
  order: SubmitOrder,
  brokerName: string,
  externalId: string,
): Promise<void> {
  // Fresh orders arrive already `submitted` by the claim; a resubmission after
  // `resolve_not_found` is back in `pending_submit` and is marked here.
  let attempts = order.attempts;
  if (order.status === "pending_submit") {
    attempts += 1;
    await setState(deps.db, order, "submit", { attempts });
  }
  const sentAt = Date.now();
  try {
    const placed = await deps.broker(brokerName).placeOrder({
      accountId: externalId,
      clientOrderId: order.clientOrderId,
      symbol: order.symbol,
      side: order.side,
      type: order.type,
      qty: order.qty,
      ...(order.limitPrice ? { limitPrice: order.limitPrice } : {}),
    });
    metrics.placed([{ ok: true, order: placed }], sentAt);
    await adoptBrokerOrder(deps, order, placed);
  } catch (err) {
    await handleSubmitError(deps, { ...order, attempts, status: "submitted" }, err);
  }
}

async function handleSubmitError(
  deps: EngineDeps,
  order: SubmitOrder,
  err: unknown,
): Promise<void> {
  const now = deps.clock.now();
  metrics.orderSubmitted(
    err instanceof BrokerRejectedError
      ? "rejected"
      : typeof err === "object" && err && "kind" in err
        ? String(err.kind)
        : "error",
  );
  if (err instanceof BrokerRejectedError) {
    await reject(deps, order, err.reason);
    return;
  }
  if (err instanceof BrokerUnknownOutcomeError) {
    await setState(deps.db, order, "timeout", { nextAttemptAt: null });
    deps.log.warn(
      { correlationId: order.correlationId, clientOrderId: order.clientOrderId },
      "submission outcome unknown; asking the broker",
    );
    const [acct] = await deps.db
      .select()
      .from(brokerAccounts)
      .where(eq(brokerAccounts.id, order.brokerAccountId));
    await resolveUnknown(deps, { ...order, status: "unknown" }, acct!.broker, acct!.externalId);
    return;
  }
  if (err instanceof BrokerTransientError || err instanceof BrokerRateLimitedError) {
    const [acct] = await deps.db
      .select({ broker: brokerAccounts.broker })
      .from(brokerAccounts)
      .where(eq(brokerAccounts.id, order.brokerAccountId));
    if (acct) await recordBrokerFailure(deps, acct.broker);
    if (order.attempts >= deps.config.maxSubmitAttempts) {
      await reject(
        deps,
        order,
        err instanceof BrokerRateLimitedError ? "RATE_LIMITED" : "BROKER_UNAVAILABLE",
      );
      return;
    }
    const backoff = Math.min(
      deps.config.backoffMaxMs,
      deps.config.backoffBaseMs * 2 ** (order.attempts - 1),
    );
    const jitter = Math.floor(deps.rng.next() * backoff * 0.5);
    const wait = Math.max(
      err instanceof BrokerRateLimitedError ? err.retryAfterMs : 0,
      backoff + jitter,
    );
    await setState(deps.db, order, "submit_failed", {
      nextAttemptAt: new Date(now.getTime() + wait),
    });
    deps.log.warn(
      {
        correlationId: order.correlationId,
        clientOrderId: order.clientOrderId,
        attempt: order.attempts,
        retryInMs: wait,
      },
      "transient broker error; will retry",
    );
    return;
  }
  throw err;
}

/** Asks the broker for the client order id; resubmits with the same id only if it has none. */
async function resolveUnknown(
  deps: EngineDeps,
  order: SubmitOrder,
  brokerName: string,
  externalId: string,
): Promise<void> {
  let found: BrokerOrder | null;
  try {
    found = await deps.broker(brokerName).getOrder(externalId, order.clientOrderId);
  } catch (err) {
    // Could not even ask: try again later, never resubmit blind.
    await setState(deps.db, order, "timeout", {
      nextAttemptAt: new Date(deps.clock.now().getTime() + deps.config.backoffBaseMs),
    });
    deps.log.warn(
      { clientOrderId: order.clientOrderId, err: String(err) },
      "could not resolve unknown order yet",
    );
    return;
  }
  if (found) {
    await adoptBrokerOrder(deps, order, found);
    return;
  }
  await setState(deps.db, order, "resolve_not_found", { nextAttemptAt: null });
  const [fresh] = await deps.db.select().from(orders).where(eq(orders.id, order.id));
  await submitOne(deps, fresh!, brokerName, externalId);
}

/** The broker has the order: record its id and acceptance; fills come from its events. */
async function adoptBrokerOrder(
  deps: EngineDeps,
  order: SubmitOrder,
  b: BrokerOrder,
): Promise<void> {
  if (b.status === "rejected") {
    await reject(deps, order, b.rejectReason ?? "REJECTED");
    return;
  }
  await deps.db.transaction(async (tx) => {
    const [cur] = await tx.select().from(orders).where(eq(orders.id, order.id)).for("update");
    const state = cur!.status as OrderState;
    // Fill events may already have been booked (they can arrive before this answer).
    const next = stateAfter(state, "accept");
    await tx
      .update(orders)
      .set({
        status: next,
        brokerOrderId: b.brokerOrderId,
        nextAttemptAt: null,
        updatedAt: deps.clock.now(),
      })
      .where(eq(orders.id, order.id));
    await appendEvents(tx, [
      {
        stream: accountStream(order.brokerAccountId),
        type: "order_accepted",
        payload: { clientOrderId: order.clientOrderId, brokerOrderId: b.brokerOrderId },
        at: deps.clock.now(),
        correlationId: order.correlationId,
      },
    ]);
  });
}

async function reject(deps: EngineDeps, order: SubmitOrder, reason: string): Promise<void> {
  await deps.db.transaction(async (tx) => {
    const [cur] = await tx.select().from(orders).where(eq(orders.id, order.id)).for("update");
    const state = cur!.status as OrderState;
    if (!canTransition(state, "reject")) {
      deps.log.warn(
        { clientOrderId: order.clientOrderId, state, reason },
        "ignored a rejection that contradicts the order's state",
      );
      return;
    }
    await tx
      .update(orders)
      .set({
        status: transition(state, "reject"),
        rejectReason: reason,
        nextAttemptAt: null,
        updatedAt: deps.clock.now(),
      })
      .where(eq(orders.id, order.id));
    // The decision said "placed"; the follower must see that it did not happen, and why.
    await tx
      .update(copyDecisions)
      .set({
        action: "skipped",
        reason: reason === "RATE_LIMITED" ? "RATE_LIMITED" : "BROKER_REJECTED",
        orderQty: "0",
        checks: sql`${copyDecisions.checks} || ${JSON.stringify(packChecks([{ check: "broker", passed: false, detail: `broker refused the order: ${reason}` }]))}::jsonb`,
      })
      .where(eq(copyDecisions.clientOrderId, order.clientOrderId));
    await appendEvents(tx, [
      {
        stream: accountStream(order.brokerAccountId),
        type: "order_rejected",
        payload: { clientOrderId: order.clientOrderId, reason },
        at: deps.clock.now(),
        correlationId: order.correlationId,
      },
    ]);
  });
  deps.log.warn(
    { correlationId: order.correlationId, clientOrderId: order.clientOrderId, reason },
    "order rejected",
  );
}

/** Moves an order by the transition table (never by naming a state), from the state it was in. */
async function setState(
  db: Executor,
  order: SubmitOrder,
  event: OrderEvent,
  extra: { attempts?: number; nextAttemptAt?: Date | null },
): Promise<void> {
  await db
    .update(orders)
    .set({
      status: transition(order.status as OrderState, event),
      ...(extra.attempts !== undefined ? { attempts: extra.attempts } : {}),
      ...("nextAttemptAt" in extra ? { nextAttemptAt: extra.nextAttemptAt } : {}),
    })
    .where(eq(orders.id, order.id));
}

/** Earliest time a waiting retry becomes due (replays advance their clock to it). */
export async function nextRetryAt(db: Executor): Promise<Date | null> {
  const rows = await db.execute<{ at: Date | string | null }>(
    sql`select min(next_attempt_at) as at from orders where status in ('pending_submit','unknown') and next_attempt_at is not null`,
  );
  const at = rows[0]?.at;
  return at ? new Date(at) : null;
}
