import { and, inArray, isNotNull, sql } from "drizzle-orm";
import {
  accountBalances,
  brokerAccounts,
  copyFees,
  copyPositions,
  copyRelationships,
  instruments,
  orders,
  positions,
} from "../../../db/schema";
import { fx } from "../../domain/fixed";
import { fmt, ZERO, type Decimal } from "../../domain/money";
import type { IncomingFill } from "./book-fill";
import { bulkInsert, recordset, anyOf } from "../core/bulk";
import { bookFills, type BookOrder, type ChargedFee } from "../../domain/bookkeeping";
import { appendEvents, type Tx } from "../core/streams";
import { writeJournals } from "./ledger";

export type FillItem = { brokerAccountId: string; clientOrderId: string; fill: IncomingFill };

const CHUNK = 1000;

/**
 * The order columns the bookkeeping core reads (its `BookOrder`), not the whole row: at
 * 10 000 fills the other twelve columns were 120 000 values to decode and map, four of them
 * timestamps made into Dates, for nothing (ADR 0041, session 13).
 */
const bookOrderColumns = {
  id: orders.id,
  brokerAccountId: orders.brokerAccountId,
  clientOrderId: orders.clientOrderId,
  relationshipId: orders.relationshipId,
  symbol: orders.symbol,
  side: orders.side,
  qty: orders.qty,
  filledQty: orders.filledQty,
  avgPrice: orders.avgPrice,
  status: orders.status,
  correlationId: orders.correlationId,
} satisfies Record<keyof BookOrder, unknown>;

/**
 * The set-based twin of `bookFill` for a fan-out: the same bookkeeping (fill row once per
 * trade id, order state and average price, account and copy positions, cash, a balanced
 * journal, an event) for many fills with one statement per table instead of one round trip
 * per fill. Rows are locked in a stable order, then everything is computed in memory in the
 * order the fills were given, with the same domain functions as the single path.
 * Returns how many fills were new.
 */
export async function bookFillsBatch(tx: Tx, items: FillItem[], now: Date): Promise<number> {
  if (items.length === 0) return 0;
  // Orders first (locked), so fills can name them.
  const accountIds = [...new Set(items.map((i) => i.brokerAccountId))];
  const clientIds = [...new Set(items.map((i) => i.clientOrderId))];
  const orderRows = await tx
    .select(bookOrderColumns)
    .from(orders)
    .where(
      and(
        anyOf(orders.brokerAccountId, accountIds),
        anyOf(orders.clientOrderId, clientIds, "text"),
      ),
    )
    .orderBy(orders.id)
    .for("update");
  const orderByKey = new Map(orderRows.map((o) => [`${o.brokerAccountId}|${o.clientOrderId}`, o]));
  // Each fill with its order, looked up once (at 10 000 fills every lookup repeated below
  // was another 10 000 keys built and hashed).
  const known: Array<{ it: FillItem; o: (typeof orderRows)[number] }> = [];
  for (const it of items) {
    const o = orderByKey.get(`${it.brokerAccountId}|${it.clientOrderId}`);
    if (o) known.push({ it, o });
  }
  if (known.length === 0) return 0;

  const inserted = new Set<string>();
  const rows = await bulkInsert(
    tx,
    "fills",
    {
      order_id: "uuid",
      broker_account_id: "uuid",
      broker_trade_id: "text",
      qty: "numeric",
      price: "numeric",
      fee: "numeric",
      filled_at: "timestamptz",
    },
    known.map(({ it, o }) => ({
      order_id: o.id,
      broker_account_id: it.brokerAccountId,
      broker_trade_id: it.fill.tradeId,
      qty: it.fill.qty,
      price: it.fill.price,
      fee: it.fill.commission,
      filled_at: it.fill.at,
    })),
    { onConflict: "on conflict do nothing", returning: "broker_account_id, broker_trade_id" },
  );
  for (const r of rows) inserted.add(`${String(r.broker_account_id)}|${String(r.broker_trade_id)}`);
  // A duplicated event can put one trade id in the batch twice: book it once.
  const seen = new Set<string>();
  const fresh = known.filter(({ it }) => {
    const k = `${it.brokerAccountId}|${it.fill.tradeId}`;
    if (!inserted.has(k) || seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  if (fresh.length === 0) return 0;

  const symbols = [...new Set(fresh.map(({ o }) => o.symbol))];
  const freshAccounts = [...new Set(fresh.map(({ it }) => it.brokerAccountId))].sort();
  const relIds = [
    ...new Set(orderRows.map((o) => o.relationshipId).filter((x): x is string => x !== null)),
  ].sort();
  // Sent at once: the server runs a transaction's pipelined statements in the order sent, so
  // the rows are still locked positions, copy positions, then balances, as before; only the
  // waits for the answers are one instead of six.
  const [instRows, posRows, cpRows, balRows, acctRows, platformFeeBps] = await Promise.all([
    tx.select().from(instruments).where(inArray(instruments.symbol, symbols)),
    tx
      .select({
        brokerAccountId: positions.brokerAccountId,
        symbol: positions.symbol,
        qty: positions.qty,
        avgCost: positions.avgCost,
        realizedPnl: positions.realizedPnl,
      })
      .from(positions)
      .where(
        and(anyOf(positions.brokerAccountId, freshAccounts), inArray(positions.symbol, symbols)),
      )
      .orderBy(positions.brokerAccountId, positions.symbol)
      .for("update"),
    relIds.length
      ? tx
          .select({
            relationshipId: copyPositions.relationshipId,
            symbol: copyPositions.symbol,
            qty: copyPositions.qty,
            avgCost: copyPositions.avgCost,
            realizedPnl: copyPositions.realizedPnl,
            fees: copyPositions.fees,
          })
          .from(copyPositions)
          .where(
            and(
              anyOf(copyPositions.relationshipId, relIds),
              inArray(copyPositions.symbol, symbols),
            ),
          )
          .orderBy(copyPositions.relationshipId, copyPositions.symbol)
          .for("update")
      : [],
    tx
      .select({
        brokerAccountId: accountBalances.brokerAccountId,
        cash: accountBalances.cash,
        currency: accountBalances.currency,
      })
      .from(accountBalances)
      .where(anyOf(accountBalances.brokerAccountId, freshAccounts))
      .orderBy(accountBalances.brokerAccountId)
      .for("update"),
    tx
      .select({
        id: brokerAccounts.id,
        broker: brokerAccounts.broker,
        userId: brokerAccounts.userId,
      })
      .from(brokerAccounts)
      .where(anyOf(brokerAccounts.id, freshAccounts)),
    platformFeeRates(tx, relIds),
  ]);
  const inst = new Map(instRows.map((x) => [x.symbol, x]));
  const pos = new Map(
    posRows.map((p) => [
      `${p.brokerAccountId}|${p.symbol}`,
      { qty: p.qty, avgCost: p.avgCost, realizedPnl: p.realizedPnl },
    ]),
  );
  const cpos = new Map(
    cpRows.map((p) => [
      `${p.relationshipId}|${p.symbol}`,
      { qty: p.qty, avgCost: p.avgCost, realizedPnl: p.realizedPnl, fees: p.fees },
    ]),
  );
  const bal = new Map(
    balRows.map((b) => [b.brokerAccountId, { cash: fx(b.cash), currency: b.currency }]),
  );

  // Everything in between is the one bookkeeping core, shared with the single-fill path.
  const booked = bookFills(
    {
      orders: orderByKey,
      positions: pos,
      copyPositions: cpos,
      balances: bal,
      instruments: new Map(
        [...inst.values()].map((i) => [
          i.symbol,
          { multiplier: i.multiplier, currency: i.currency },
        ]),
      ),
      accounts: new Map(acctRows.map((a) => [a.id, { broker: a.broker, userId: a.userId }])),
      platformFeeBps,
    },
    fresh.map(({ it }) => ({
      brokerAccountId: it.brokerAccountId,
      clientOrderId: it.clientOrderId,
      tradeId: it.fill.tradeId,
      qty: it.fill.qty,
      price: it.fill.price,
      commission: it.fill.commission,
      at: it.fill.at,
    })),
  );
  const changed = [...booked.orders].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  const journalRows = booked.journals;
  // By stream (a stable sort keeps each stream's own order), so that stream counters are
  // locked in one order across the appends below and across bookings running side by side.
  const eventRows = [...booked.events].sort((a, b) =>
    a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : 0,
  );
  // The broker's order id from the fill reports: an order filled in the submission's answer
  // was never marked accepted (ADR 0041), so its broker id is first written here.
  const brokerIds = new Map<string, string>();
  for (const { it, o } of fresh)
    if (it.fill.brokerOrderId) brokerIds.set(o.id, it.fill.brokerOrderId);
  // The rows below were locked above, so the order of these writes decides nothing: they
  // are sent at once and waited for together (one round trip, not four).
  const writes: Promise<unknown>[] = [];
  for (let i = 0; i < changed.length; i += CHUNK) {
    const part = changed.slice(i, i + CHUNK).map((x) => ({
      id: x.id,
      filled_qty: x.filledQty,
      avg_price: x.avgPrice ?? "0",
      status: x.status,
      broker_order_id: brokerIds.get(x.id) ?? null,
    }));
    writes.push(
      tx.execute(sql`
      update orders o set filled_qty = v.filled_qty, avg_price = v.avg_price, status = v.status::order_status, updated_at = ${now.toISOString()}::timestamptz,
                          broker_order_id = coalesce(o.broker_order_id, v.broker_order_id)
        from ${recordset(part, "id uuid, filled_qty numeric, avg_price numeric, status text, broker_order_id text")}
       where o.id = v.id`),
    );
  }
  writes.push(
    bulkInsert(
      tx,
      "positions",
      {
        broker_account_id: "uuid",
        symbol: "text",
        qty: "numeric",
        avg_cost: "numeric",
        realized_pnl: "numeric",
        updated_at: "timestamptz",
      },
      booked.positions.map((p) => ({
        broker_account_id: p.brokerAccountId,
        symbol: p.symbol,
        qty: p.qty,
        avg_cost: p.avgCost,
        realized_pnl: p.realizedPnl,
        updated_at: now,
      })),
      {
        onConflict:
          "on conflict (broker_account_id, symbol) do update set qty = excluded.qty, avg_cost = excluded.avg_cost, realized_pnl = excluded.realized_pnl, updated_at = excluded.updated_at",
      },
    ),
  );
  writes.push(
    bulkInsert(
      tx,
      "copy_positions",
      {
        relationship_id: "uuid",
        symbol: "text",
        qty: "numeric",
        avg_cost: "numeric",
        realized_pnl: "numeric",
        fees: "numeric",
        updated_at: "timestamptz",
      },
      booked.copyPositions.map((p) => ({
        relationship_id: p.relationshipId,
        symbol: p.symbol,
        qty: p.qty,
        avg_cost: p.avgCost,
        realized_pnl: p.realizedPnl,
        fees: p.fees,
        updated_at: now,
      })),
      {
        onConflict:
          "on conflict (relationship_id, symbol) do update set qty = excluded.qty, avg_cost = excluded.avg_cost, realized_pnl = excluded.realized_pnl, fees = excluded.fees, updated_at = excluded.updated_at",
      },
    ),
  );
  writes.push(
    bulkInsert(
      tx,
      "account_balances",
      { broker_account_id: "uuid", currency: "text", cash: "numeric", updated_at: "timestamptz" },
      booked.balances.map((v) => ({
        broker_account_id: v.brokerAccountId,
        currency: v.currency,
        cash: v.cash,
        updated_at: now,
      })),
      {
        onConflict:
          "on conflict (broker_account_id) do update set cash = excluded.cash, updated_at = excluded.updated_at",
      },
    ),
  );

  await Promise.all(writes);
  await writeJournals(tx, journalRows);
  await writeFees(tx, booked.fees);
  // Last: a leader fill's `fills:` stream counter is the one row that bookings of other
  // accounts running at the same time also update, so it is held for as short as possible.
  for (let i = 0; i < eventRows.length; i += CHUNK)
    await appendEvents(tx, eventRows.slice(i, i + CHUNK));
  return booked.booked;
}

async function platformFeeRates(tx: Tx, relIds: string[]): Promise<Map<string, string>> {
  if (relIds.length === 0) return new Map();
  const rows = await tx
    .select({ id: copyRelationships.id, bps: copyRelationships.platformFeeBps })
    .from(copyRelationships)
    .where(and(anyOf(copyRelationships.id, relIds), isNotNull(copyRelationships.platformFeeBps)));
  return new Map(rows.map((r) => [r.id, r.bps!]));
}

/** Fee rows and the copies' running totals; their cash and journals are already written. */
export async function writeFees(tx: Tx, fees: readonly ChargedFee[]): Promise<void> {
  if (fees.length === 0) return;
  await tx.insert(copyFees).values(fees.map((f) => ({ ...f })));
  const byRel = new Map<string, Decimal>();
  for (const f of fees)
    byRel.set(f.relationshipId, (byRel.get(f.relationshipId) ?? ZERO).plus(f.amount));
  const rows = [...byRel].map(([id, total]) => ({ id, total: fmt(total) }));
  await tx.execute(sql`
    update copy_relationships c set fees_charged = c.fees_charged + v.total
      from ${recordset(rows, "id uuid, total numeric")} where c.id = v.id`);
}
