import { and, asc, inArray, sql, type SQL } from "drizzle-orm";
import { jsonRows } from "../../../db/json-rows";
import { instruments, quotes } from "../../../db/schema/instruments";
import {
  paperAccounts,
  paperLiquidity,
  paperOrders,
  paperPositions,
} from "../../../db/schema/paper-broker";
import { D, fmt, type Decimal } from "../../domain/money";
import type { BrokerOrderEvent } from "../types";
import type { AccountStore, NewOrderRow, PositionRow } from "./account-store";
import type { AccountConfig, Tx } from "./account-tx";
import { bookSymbols, buildBook } from "./book";
import { eventRows, type EmittedEvent } from "./event-rows";
import { decideEventDelivery, parseFaultState, type FaultState } from "./faults";
import type { BookSnapshot } from "./margin";
import type { Holding } from "./positions";
import type { Quote } from "./pricing";
import { eventToJson, isOpen, OPEN_STATUSES, type FillRow, type OrderRow } from "./rows";
import type { Instrument } from "./validation";

/**
 * The set-based side of placeOrders: one transaction holds the rows of every account of a
 * chunk of requests (locked in id order), everything placement reads is loaded up front
 * with one query per table, the shared order flow (placement.ts, matching.ts) runs per
 * request on in-memory `BatchAccount`s, and `flush()` writes orders, fills, positions,
 * events and accounts with one multi-row statement each.
 *
 * The load's keys travel as one text[] parameter per column (`col`), writes as one JSON
 * parameter per statement (`rows`).
 */

/**
 * The rows of a multi-row write as ONE JSON parameter, a relation `x` (db/json-rows.ts):
 * JSON.stringify is native, where a text[] per column was escaped element by element by
 * the driver (a tenth of a batch's CPU), and jsonb values (events, fault state) travel as
 * JSON, not as strings escaped twice. Numerics stay decimal strings, read as `numeric`.
 * `defs` is the caller's constant column list.
 */
const rows = (list: readonly object[], defs: string): SQL =>
  jsonRows(list as readonly Record<string, unknown>[], defs, "x");

/**
 * One column of a multi-row statement: ONE text[] parameter (cast in SQL), so the
 * 65 535-parameter limit never applies whatever the batch size. (numeric[] and
 * timestamptz[] parameters are not serialized by the driver as configured by Drizzle.)
 */
const col = (values: Array<string | null>): SQL => sql`${sql.param(values)}::text[]`;

export type BatchKey = { accountId: string; clientOrderId: string; symbol: string };

export class PlacementBatch {
  readonly instruments = new Map<string, Instrument>();
  readonly quotes = new Map<string, Quote>();
  readonly liquidity = new Map<string, string>();
  readonly newOrders: OrderRow[] = [];
  readonly fills: FillRow[] = [];
  readonly events: EmittedEvent[] = [];
  private readonly accounts = new Map<string, BatchAccount>();

  private constructor(
    private readonly tx: Tx,
    readonly seed: number | string,
  ) {}

  /** Locks the accounts of `keys` (id order) and loads what their placements read. */
  static async load(tx: Tx, seed: number | string, keys: BatchKey[]): Promise<PlacementBatch> {
    const b = new PlacementBatch(tx, seed);
    const ids = [...new Set(keys.map((k) => k.accountId))];
    const idSet = sql`(select unnest(${col(ids)}))`;
    const bySymbol = (symbols: string[]) =>
      Promise.all([
        tx.select().from(instruments).where(inArray(instruments.symbol, symbols)),
        tx.select().from(quotes).where(inArray(quotes.symbol, symbols)),
        tx.select().from(paperLiquidity).where(inArray(paperLiquidity.symbol, symbols)),
      ]);
    const asked = [...new Set(keys.map((k) => k.symbol))];
    // Everything sent at once, the lock first: postgres.js pipelines a transaction's
    // concurrent queries and the server runs them in the order sent, so the reads run under
    // the lock (one round trip instead of three). Requests for an account that does not
    // exist find nothing.
    const [rows, existing, open, positions, [instRows, quoteRows, liquidityRows]] =
      await Promise.all([
        tx
          .select()
          .from(paperAccounts)
          .where(sql`${paperAccounts.id} in ${idSet}`)
          .orderBy(asc(paperAccounts.id))
          .for("update"),
        tx
          .select()
          .from(paperOrders)
          .where(
            sql`(${paperOrders.accountId}, ${paperOrders.clientOrderId}) in (select * from unnest(${col(keys.map((k) => k.accountId))}, ${col(keys.map((k) => k.clientOrderId))}))`,
          ),
        tx
          .select()
          .from(paperOrders)
          .where(
            and(
              sql`${paperOrders.accountId} in ${idSet}`,
              inArray(paperOrders.status, OPEN_STATUSES),
            ),
          )
          .orderBy(asc(paperOrders.createdAt), asc(paperOrders.id)),
        tx
          .select()
          .from(paperPositions)
          .where(sql`${paperPositions.accountId} in ${idSet}`),
        bySymbol(asked),
      ]);
    for (const row of rows) b.accounts.set(row.id, new BatchAccount(b, row));
    if (rows.length === 0) return b;
    for (const o of existing) b.accounts.get(o.accountId)!.byClientId.set(o.clientOrderId, o);
    for (const o of open) b.accounts.get(o.accountId)!.working.push(o);
    for (const p of positions)
      b.accounts.get(p.accountId)!.positions.set(p.symbol, { qty: p.qty, avgCost: p.avgCost });

    // Symbols of working orders and positions the requests did not name: read after.
    const more = [
      ...new Set([...open.map((o) => o.symbol), ...positions.map((p) => p.symbol)]),
    ].filter((x) => !asked.includes(x));
    if (more.length) {
      const [i2, q2, l2] = await bySymbol(more);
      instRows.push(...i2);
      quoteRows.push(...q2);
      liquidityRows.push(...l2);
    }
    for (const i of instRows) b.instruments.set(i.symbol, i);
    for (const q of quoteRows) b.quotes.set(q.symbol, { bid: q.bid, ask: q.ask, at: q.at });
    for (const l of liquidityRows) b.liquidity.set(l.symbol, l.maxFillQty);
    return b;
  }

  /** The locked account, or undefined when no such account exists. */
  account(id: string): BatchAccount | undefined {
    return this.accounts.get(id);
  }

  /** Writes everything the placements recorded (orders before their fills). */
  async flush(): Promise<void> {
    const tx = this.tx;
    // Every write is sent at once: the server runs them in the order sent (orders before
    // their fills), and the batch waits for one round trip instead of five.
    const writes: Promise<unknown>[] = [];
    if (this.newOrders.length > 0) {
      writes.push(
        tx.execute(sql`
        insert into paper_orders (id, account_id, client_order_id, symbol, side, type, qty,
          limit_price, status, filled_qty, avg_price, reject_reason, commission, created_at,
          updated_at)
        select id, "accountId", "clientOrderId", symbol, side, type, qty, "limitPrice", status,
          "filledQty", "avgPrice", "rejectReason", commission, "createdAt", "updatedAt"
        from ${rows(
          this.newOrders,
          `id text, "accountId" text, "clientOrderId" text, symbol text,
          side text, type text, qty numeric, "limitPrice" numeric, status text,
          "filledQty" numeric, "avgPrice" numeric, "rejectReason" text, commission numeric,
          "createdAt" timestamptz, "updatedAt" timestamptz`,
        )}`),
      );
    }
    if (this.fills.length > 0) {
      writes.push(
        tx.execute(sql`
        insert into paper_fills (trade_id, order_id, account_id, qty, price, commission, at)
        select "tradeId", "orderId", "accountId", qty, price, commission, at
        from ${rows(
          this.fills,
          `"tradeId" text, "orderId" text, "accountId" text, qty numeric,
          price numeric, commission numeric, at timestamptz`,
        )}`),
      );
    }
    if (this.events.length > 0) {
      // The event travels as a JSON value inside the one parameter, not as a string of JSON
      // escaped again into an array literal; a plain run of an account's events is one row
      // (event-rows.ts).
      writes.push(
        tx.execute(sql`
        insert into paper_events (account_id, seq, event, at, deliver_at, dropped, copies,
          swap_with_next)
        select "accountId", seq, event, at, "deliverAt", dropped, copies, "swapWithNext"
        from ${rows(
          eventRows(this.events),
          `"accountId" text, seq bigint, event jsonb, at timestamptz,
          "deliverAt" bigint, dropped boolean, copies integer, "swapWithNext" boolean`,
        )}`),
      );
    }
    const upserts: Array<{ accountId: string; symbol: string; qty: string; avgCost: string }> = [];
    const deletes: Array<{ accountId: string; symbol: string }> = [];
    for (const a of this.accounts.values()) {
      for (const symbol of a.dirtySymbols) {
        const p = a.positions.get(symbol);
        if (p) upserts.push({ accountId: a.id, symbol, ...p });
        else deletes.push({ accountId: a.id, symbol }); // a no-op when it never existed
      }
    }
    if (upserts.length > 0) {
      writes.push(
        tx.execute(sql`
        insert into paper_positions (account_id, symbol, qty, avg_cost)
        select "accountId", symbol, qty, "avgCost"
        from ${rows(upserts, `"accountId" text, symbol text, qty numeric, "avgCost" numeric`)}
        on conflict (account_id, symbol) do update
          set qty = excluded.qty, avg_cost = excluded.avg_cost`),
      );
    }
    if (deletes.length > 0) {
      writes.push(
        tx.execute(sql`
        delete from paper_positions p
        using ${rows(deletes, `"accountId" text, symbol text`)}
        where p.account_id = x."accountId" and p.symbol = x.symbol`),
      );
    }
    const a = [...this.accounts.values()].map((x) => ({
      id: x.id,
      cash: fmt(x.cash),
      eventSeq: x.eventSeq,
      faultState: x.faultState,
    }));
    if (a.length > 0) {
      writes.push(
        tx.execute(sql`
        update paper_accounts a
        set cash = x.cash, event_seq = x."eventSeq", fault_state = x."faultState"
        from ${rows(a, `id text, cash numeric, "eventSeq" bigint, "faultState" jsonb`)}
        where a.id = x.id`),
      );
    }
    await Promise.all(writes);
  }
}

/**
 * One locked account inside a PlacementBatch: reads from the loaded sets (kept current as
 * the batch's own placements change them), writes recorded for the batch's flush.
 */
export class BatchAccount implements AccountStore {
  readonly id: string;
  readonly marginEnabled: boolean;
  readonly config: AccountConfig;
  cash: Decimal;
  eventSeq: number;
  faultState: FaultState;
  /** Orders by clientOrderId: the existing ones asked for, and the ones created here. */
  readonly byClientId = new Map<string, OrderRow>();
  /** Working orders at load, in (createdAt, id) order, then the ones created here. */
  readonly working: OrderRow[] = [];
  readonly positions = new Map<string, PositionRow>();
  /** Symbols whose position this batch changed (flush writes their final state). */
  readonly dirtySymbols = new Set<string>();
  /** Fill notional (Σ qty × price) of the orders created in this batch. */
  private readonly created = new Map<string, Decimal>();

  constructor(
    private readonly batch: PlacementBatch,
    row: typeof paperAccounts.$inferSelect,
  ) {
    this.id = row.id;
    this.marginEnabled = row.marginEnabled;
    this.config = row.config as AccountConfig;
    this.cash = D(row.cash);
    this.eventSeq = row.eventSeq;
    this.faultState = parseFaultState(row.faultState);
  }

  nextSeq(): number {
    this.eventSeq += 1;
    return this.eventSeq;
  }

  async emit(event: BrokerOrderEvent): Promise<void> {
    this.batch.events.push({
      accountId: this.id,
      seq: event.seq,
      json: eventToJson(event),
      at: event.at,
      delivery: decideEventDelivery(
        this.faultState,
        this.config.faults ?? {},
        this.batch.seed,
        this.id,
        event.seq,
      ),
    });
  }

  async instrument(symbol: string): Promise<Instrument | undefined> {
    return this.batch.instruments.get(symbol);
  }

  async quote(symbol: string): Promise<Quote | null> {
    return this.batch.quotes.get(symbol) ?? null;
  }

  async liquidity(symbol: string): Promise<string | null> {
    return this.batch.liquidity.get(symbol) ?? null;
  }

  async book(extraSymbols: string[]): Promise<BookSnapshot> {
    // Stable: the loaded (createdAt, id) order is kept among equal times, and orders
    // created here come after (higher seq), exactly as ORDER BY created_at, id would.
    const open = this.working
      .filter((o) => isOpen(o.status))
      .sort((x, y) => x.createdAt.getTime() - y.createdAt.getTime());
    const positions = [...this.positions].map(([symbol, p]) => ({ symbol, ...p }));
    const symbols = bookSymbols(positions, open, extraSymbols);
    const ins = symbols.flatMap((s) => {
      const i = this.batch.instruments.get(s);
      return i ? [i] : [];
    });
    return buildBook(this.cash, this.marginEnabled, positions, open, ins, this.batch.quotes);
  }

  async position(symbol: string): Promise<PositionRow | null> {
    return this.positions.get(symbol) ?? null;
  }

  async findOrder(clientOrderId: string): Promise<OrderRow | null> {
    return this.byClientId.get(clientOrderId) ?? null;
  }

  async priorNotional(orderId: string): Promise<string | null> {
    const n = this.created.get(orderId);
    if (n === undefined) throw new Error(`batch: order ${orderId} was not created in this batch`);
    return n.isZero() ? null : fmt(n);
  }

  async insertOrder(row: NewOrderRow): Promise<OrderRow> {
    const order: OrderRow = { ...row, filledQty: "0", avgPrice: null, commission: "0" };
    this.batch.newOrders.push(order);
    this.byClientId.set(order.clientOrderId, order);
    this.working.push(order);
    this.created.set(order.id, D(0));
    return order;
  }

  async updateOrderProgress(order: OrderRow): Promise<void> {
    // The row object itself is what flush() inserts; only orders created here can change.
    if (!this.created.has(order.id))
      throw new Error(`batch: order ${order.id} was not created in this batch`);
  }

  async insertFill(row: FillRow): Promise<void> {
    this.batch.fills.push(row);
    const n = this.created.get(row.orderId);
    if (n === undefined)
      throw new Error(`batch: order ${row.orderId} was not created in this batch`);
    this.created.set(row.orderId, n.plus(D(row.qty).times(row.price)));
  }

  async writePosition(symbol: string, _prev: PositionRow | null, next: Holding): Promise<void> {
    if (next.qty.isZero()) this.positions.delete(symbol);
    else this.positions.set(symbol, { qty: fmt(next.qty), avgCost: fmt(next.avgCost) });
    this.dirtySymbols.add(symbol);
  }
}
