import { and, sql } from "drizzle-orm";
import { brokerAccounts, brokerEventCursors, leaders, orders } from "../../../db/schema";
import type { BrokerOrderEvent } from "../../brokers/types";
import { transition, type OrderState } from "../../domain/order-state";
import { bookFillsBatch, type FillItem } from "./book-fills-batch";
import { fillOf } from "./broker-events";
import { forEachLimit, groupBy, splitEvenly } from "../core/concurrency";
import { brokerReportEvent } from "../execute/order-status";
import { anyOf, bulkInsert, recordset } from "../core/bulk";
import type { EngineDeps } from "../deps";

const PAGE = 200;

/**
 * Reads and applies the order events of many accounts at once, for brokers that offer
 * `readEventsMany`: one read, one transaction, status reports applied through the state
 * machine in stream order, fills booked with `bookFillsBatch`. Leader accounts are left to
 * the per-account path (their fills also feed the leader's stream). Returns events read.
 */
export async function consumeBrokerEventsMany(
  deps: EngineDeps,
  accountIds: string[],
): Promise<{ read: number; rest: string[] }> {
  if (accountIds.length === 0) return { read: 0, rest: [] };
  // The accounts with their event cursors, in one round trip.
  const accts = await deps.db
    .select({
      id: brokerAccounts.id,
      broker: brokerAccounts.broker,
      externalId: brokerAccounts.externalId,
      leaderId: leaders.id,
      lastSeq: brokerEventCursors.lastSeq,
    })
    .from(brokerAccounts)
    .leftJoin(leaders, sql`${leaders.brokerAccountId} = ${brokerAccounts.id}`)
    .leftJoin(brokerEventCursors, sql`${brokerEventCursors.brokerAccountId} = ${brokerAccounts.id}`)
    .where(anyOf(brokerAccounts.id, accountIds));
  const rest: string[] = [];
  const batchable = accts.filter((a) => {
    const ok = !a.leaderId && typeof deps.broker(a.broker).readEventsMany === "function";
    if (!ok) rest.push(a.id);
    return ok;
  });
  let read = 0;
  for (const [brokerName, list] of groupBy(batchable, (a) => a.broker)) {
    const broker = deps.broker(brokerName);
    const cursor = new Map(list.map((a) => [a.id, a.lastSeq ?? 0]));
    let pending = list;
    while (pending.length) {
      const got = await broker.readEventsMany!(
        pending.map((a) => ({ accountId: a.externalId, afterSeq: cursor.get(a.id) ?? 0 })),
        PAGE,
      );
      const byExternal = new Map(pending.map((a) => [a.externalId, a.id]));
      const perAccount: Array<{ id: string; events: BrokerOrderEvent[] }> = [];
      for (const [external, evs] of got)
        if (evs.length) perAccount.push({ id: byExternal.get(external)!, events: evs });
      if (perAccount.length === 0) break;
      read += perAccount.reduce((n, a) => n + a.events.length, 0);
      // Parts over disjoint accounts, each its own transaction, run side by side: one
      // account's orders, positions, cash and cursor are all in one part, so the parts lock
      // different rows; what they share (a leader fill's `fills:` stream counter, platform
      // ledger accounts) is taken last and in one order (ADR 0041). A part that fails leaves
      // its accounts' cursors where they were: their events are read again next time.
      const parts = splitEvenly(perAccount, deps.config.bookingConcurrency ?? 1);
      await forEachLimit(parts, parts.length, async (part) => {
        const advanced = await deps.db.transaction(async (tx) => {
          await applyStatusEvents(deps, tx, part);
          const items: FillItem[] = part.flatMap((a) =>
            a.events
              .filter((e) => e.fill)
              .map((e) => ({
                brokerAccountId: a.id,
                clientOrderId: e.clientOrderId,
                fill: fillOf(e.fill!),
              })),
          );
          const seqs = part.map((a) => ({
            brokerAccountId: a.id,
            lastSeq: Math.max(cursor.get(a.id) ?? 0, ...a.events.map((e) => e.seq)),
          }));
          // One JSON parameter for every account's cursor, not two parameters per account;
          // sent ahead of the booking's first statement, not waited for on its own.
          await Promise.all([
            bulkInsert(
              tx,
              "broker_event_cursors",
              { broker_account_id: "uuid", last_seq: "bigint" },
              seqs.map((a) => ({ broker_account_id: a.brokerAccountId, last_seq: a.lastSeq })),
              {
                onConflict:
                  "on conflict (broker_account_id) do update set last_seq = excluded.last_seq",
              },
            ),
            bookFillsBatch(tx, items, deps.clock.now()),
          ]);
          return seqs;
        });
        for (const a of advanced) cursor.set(a.brokerAccountId, a.lastSeq);
      });
      // Only accounts that filled a page can have more.
      const full = new Set(perAccount.filter((a) => a.events.length >= PAGE).map((a) => a.id));
      pending = pending.filter((a) => full.has(a.id));
    }
  }
  return { read, rest };
}

type Tx = Parameters<Parameters<EngineDeps["db"]["transaction"]>[0]>[0];

async function applyStatusEvents(
  deps: EngineDeps,
  tx: Tx,
  perAccount: Array<{ id: string; events: BrokerOrderEvent[] }>,
) {
  // An acceptance whose order also has a fill in this read is not written on its own: the
  // fill's booking moves the order on (submitted → filled is in the table) and records the
  // broker's order id, in the same transaction. One orders update less per copy (ADR 0041).
  const filledHere = new Set(
    perAccount.flatMap((a) =>
      a.events.filter((e) => e.fill).map((e) => `${a.id}|${e.clientOrderId}`),
    ),
  );
  const status = perAccount.flatMap((a) =>
    a.events
      .filter(
        (e) => !e.fill && !(e.type === "accepted" && filledHere.has(`${a.id}|${e.clientOrderId}`)),
      )
      .map((e) => ({ account: a.id, e })),
  );
  if (status.length === 0) return;
  const rows = await tx
    .select({
      id: orders.id,
      account: orders.brokerAccountId,
      clientOrderId: orders.clientOrderId,
      status: orders.status,
      brokerOrderId: orders.brokerOrderId,
      rejectReason: orders.rejectReason,
    })
    .from(orders)
    .where(
      and(
        anyOf(orders.brokerAccountId, [...new Set(status.map((s) => s.account))]),
        anyOf(orders.clientOrderId, [...new Set(status.map((s) => s.e.clientOrderId))], "text"),
      ),
    )
    .orderBy(orders.id)
    .for("update");
  const byKey = new Map(
    rows.map((r) => [`${r.account}|${r.clientOrderId}`, { ...r, changed: false }]),
  );
  for (const { account, e } of status.sort((a, b) => a.e.seq - b.e.seq)) {
    const o = byKey.get(`${account}|${e.clientOrderId}`);
    if (!o) continue;
    const ev = brokerReportEvent(e.type);
    if (!ev) continue;
    try {
      const next = transition(o.status as OrderState, ev);
      if (next !== o.status || (!o.brokerOrderId && e.brokerOrderId)) {
        o.status = next;
        o.brokerOrderId = o.brokerOrderId ?? e.brokerOrderId;
        o.rejectReason = e.reason ?? o.rejectReason;
        o.changed = true;
      }
    } catch {
      deps.log.warn(
        { clientOrderId: o.clientOrderId, state: o.status, event: ev },
        "ignored broker report that contradicts the order's state",
      );
    }
  }
  const changed = [...byKey.values()].filter((o) => o.changed);
  if (changed.length === 0) return;
  const rows2 = changed.map((c) => ({
    id: c.id,
    status: c.status,
    broker_order_id: c.brokerOrderId ?? null,
    reject_reason: c.rejectReason ?? null,
  }));
  await tx.execute(sql`
    update orders o set status = v.status::order_status, broker_order_id = v.broker_order_id, reject_reason = v.reject_reason, updated_at = ${deps.clock.now().toISOString()}::timestamptz
      from ${recordset(rows2, "id uuid, status text, broker_order_id text, reject_reason text")}
     where o.id = v.id`);
}
