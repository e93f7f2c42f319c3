import { and, asc, eq, gt, gte, inArray, lte, sql } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { quotes } from "../../../db/schema/instruments";
import {
  paperAccounts,
  paperEvents,
  paperFills,
  paperLiquidity,
  paperOrders,
  paperPositions,
} from "../../../db/schema/paper-broker";
import type { Clock } from "../../domain/clock";
import { D, fmt, parseDecimal, ZERO } from "../../domain/money";
import {
  BrokerNotFoundError,
  type BrokerAccount,
  type BrokerAdapter,
  type BrokerFill,
  type BrokerOrder,
  type BrokerOrderEvent,
  type BrokerPosition,
  type OrderRequest,
  type PlaceOrderResult,
} from "../types";
import { AccountTx, type AccountConfig } from "./account-tx";
import { PlacementBatch } from "./batch";
import { loadBook, selectInstrument, selectLiquidity, selectOrder } from "./book";
import { planDelivery, type DeliveryRow } from "./event-delivery";
import { expandRows } from "./event-rows";
import { decideCall, queueFault, type FaultKind } from "./faults";
import { accountValues } from "./margin";
import { matchOrder } from "./matching";
import { orderEvent, parseRequest, placementOutcome, submitOrder } from "./placement";
import type { Quote } from "./pricing";
import { eventFromJson, isOpen, OPEN_STATUSES, toFill, toOrder } from "./rows";
import { isMarketOpen } from "./trading-hours";
import type { ParsedOrder } from "./validation";

export type PaperBrokerOptions = {
  db: Db;
  clock: Clock;
  /** Seeds fault injection (per account, unless the account's FaultConfig has its own seed). */
  seed: number | string;
  name?: "paper";
  /**
   * How injected latency is spent. Default: a real timer, except with a clock that can be
   * moved by hand (ManualClock: replays and tests), where it is a no-op — replays never sleep.
   */
  sleep?: (ms: number) => Promise<void>;
  /** Consecutive requests per placeOrders transaction (default 2000). */
  placeOrdersChunk?: number;
};

export type QuoteInput = { symbol: string; bid: string; ask: string; at: Date };

/** A paper_events.event value: one event's JSON, or a run of them (event-rows.ts). */
type StoredEvent = Record<string, unknown> | Array<Record<string, unknown>>;

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const noSleep = async () => {};

/**
 * A simulated broker, persistent in the paper_* tables: the "broker truth" that
 * reconciliation compares against. See server/brokers/README.md for its semantics.
 */
export class PaperBroker implements BrokerAdapter {
  readonly name: string;
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly seed: number | string;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly placeOrdersChunk: number;

  constructor(opts: PaperBrokerOptions) {
    this.db = opts.db;
    this.clock = opts.clock;
    this.seed = opts.seed;
    this.name = opts.name ?? "paper";
    const manual = typeof (opts.clock as { advance?: unknown }).advance === "function";
    this.sleep = opts.sleep ?? (manual ? noSleep : realSleep);
    this.placeOrdersChunk = Math.max(1, Math.floor(opts.placeOrdersChunk ?? 2000));
  }

  // ---------------------------------------------------------------- the seam

  async placeOrder(req: OrderRequest): Promise<BrokerOrder> {
    const request = parseRequest(req);
    if (!request.ok) throw request.error;
    const placement = await AccountTx.run(this.db, req.accountId, this.seed, (a) =>
      submitOrder(a, req.clientOrderId, request.parsed, this.seed, this.clock),
    );
    await this.sleep(placement.decision.latencyMs);
    const outcome = placementOutcome(placement);
    if (!outcome.ok) throw outcome.error;
    return outcome.order;
  }

  /**
   * placeOrder for many requests, set-based (see batch.ts): each chunk of
   * `placeOrdersChunk` consecutive requests is one transaction that locks its accounts in
   * id order, loads with one query per table, runs the same placement code per request in
   * input order, and writes with one multi-row statement per table. Injected latency is
   * spent once, the largest of the batch (the requests of a batch are concurrent).
   */
  async placeOrders(reqs: OrderRequest[]): Promise<PlaceOrderResult[]> {
    const results: PlaceOrderResult[] = new Array<PlaceOrderResult>(reqs.length);
    const todo: Array<{ i: number; req: OrderRequest; parsed: ParsedOrder }> = [];
    reqs.forEach((req, i) => {
      const request = parseRequest(req);
      if (request.ok) todo.push({ i, req, parsed: request.parsed });
      else results[i] = request;
    });
    let latencyMs = 0;
    for (let start = 0; start < todo.length; start += this.placeOrdersChunk) {
      const chunk = todo.slice(start, start + this.placeOrdersChunk);
      const outcomes = await this.db.transaction(async (tx) => {
        const batch = await PlacementBatch.load(
          tx,
          this.seed,
          chunk.map(({ req, parsed }) => ({
            accountId: req.accountId,
            clientOrderId: req.clientOrderId,
            symbol: parsed.symbol,
          })),
        );
        const out: Array<{ i: number; result: PlaceOrderResult; latencyMs: number }> = [];
        for (const { i, req, parsed } of chunk) {
          const a = batch.account(req.accountId);
          if (!a) {
            const error = new BrokerNotFoundError(`unknown paper account ${req.accountId}`);
            out.push({ i, result: { ok: false, error }, latencyMs: 0 });
            continue;
          }
          const placement = await submitOrder(a, req.clientOrderId, parsed, this.seed, this.clock);
          out.push({
            i,
            result: placementOutcome(placement),
            latencyMs: placement.decision.latencyMs,
          });
        }
        await batch.flush();
        return out;
      });
      for (const o of outcomes) {
        results[o.i] = o.result;
        latencyMs = Math.max(latencyMs, o.latencyMs);
      }
    }
    await this.sleep(latencyMs);
    return results;
  }

  async cancelOrder(accountId: string, clientOrderId: string): Promise<BrokerOrder> {
    const { decision, order } = await AccountTx.run(this.db, accountId, this.seed, async (a) => {
      const decision = decideCall(a.faultState, a.config.faults ?? {}, this.seed, a.id, false);
      const order = await a.findOrder(clientOrderId);
      if (!order) return { decision, order: null };
      // Cancelling a terminal order is a no-op that reports the truth (fills are kept).
      if (!isOpen(order.status)) return { decision, order };
      const at = this.clock.now();
      await a.tx
        .update(paperOrders)
        .set({ status: "cancelled", updatedAt: at })
        .where(eq(paperOrders.id, order.id));
      order.status = "cancelled";
      order.updatedAt = at;
      await a.emit(orderEvent(a.nextSeq(), order, at));
      return { decision, order };
    });
    await this.sleep(decision.latencyMs);
    if (!order) throw new BrokerNotFoundError(`no order ${clientOrderId} on account ${accountId}`);
    return toOrder(order);
  }

  async getOrder(accountId: string, clientOrderId: string): Promise<BrokerOrder | null> {
    const row = await selectOrder(this.db, accountId, clientOrderId);
    return row ? toOrder(row) : null;
  }

  async listOpenOrders(accountId: string): Promise<BrokerOrder[]> {
    const rows = await this.db
      .select()
      .from(paperOrders)
      .where(and(eq(paperOrders.accountId, accountId), inArray(paperOrders.status, OPEN_STATUSES)))
      .orderBy(asc(paperOrders.createdAt), asc(paperOrders.id));
    return rows.map(toOrder);
  }

  /** `since` is inclusive (at >= since): dedupe by tradeId when polling. */
  async listFills(
    accountId: string,
    opts: { since?: Date; clientOrderId?: string } = {},
  ): Promise<BrokerFill[]> {
    const conds = [eq(paperFills.accountId, accountId)];
    if (opts.since) conds.push(gte(paperFills.at, opts.since));
    if (opts.clientOrderId !== undefined)
      conds.push(eq(paperOrders.clientOrderId, opts.clientOrderId));
    const rows = await this.db
      .select({
        f: paperFills,
        o: {
          clientOrderId: paperOrders.clientOrderId,
          symbol: paperOrders.symbol,
          side: paperOrders.side,
        },
      })
      .from(paperFills)
      .innerJoin(paperOrders, eq(paperOrders.id, paperFills.orderId))
      .where(and(...conds))
      .orderBy(asc(paperFills.tradeId));
    return rows.map((r) => toFill(r.f, r.o));
  }

  async getPositions(accountId: string): Promise<BrokerPosition[]> {
    const rows = await this.db
      .select()
      .from(paperPositions)
      .where(eq(paperPositions.accountId, accountId))
      .orderBy(asc(paperPositions.symbol));
    return rows
      .filter((r) => !D(r.qty).isZero())
      .map((r) => ({ symbol: r.symbol, qty: r.qty, avgCost: r.avgCost }));
  }

  /**
   * getAccount's cash, getPositions and getOrder for many accounts with three queries
   * (reconciliation of thousands of accounts, ADR 0045). Orders are keyed `accountId|clientOrderId`.
   */
  async getHoldingsMany(
    accountIds: string[],
    orders: Array<{ accountId: string; clientOrderId: string }>,
  ): Promise<{
    accounts: Map<string, { cash: string; positions: BrokerPosition[] }>;
    orders: Map<string, BrokerOrder>;
  }> {
    const accounts = new Map<string, { cash: string; positions: BrokerPosition[] }>();
    const found = new Map<string, BrokerOrder>();
    if (accountIds.length) {
      const accts = await this.db
        .select({ id: paperAccounts.id, cash: paperAccounts.cash })
        .from(paperAccounts)
        .where(inArray(paperAccounts.id, accountIds));
      for (const a of accts) accounts.set(a.id, { cash: a.cash, positions: [] });
      const pos = await this.db
        .select()
        .from(paperPositions)
        .where(and(inArray(paperPositions.accountId, accountIds), sql`${paperPositions.qty} <> 0`))
        .orderBy(asc(paperPositions.accountId), asc(paperPositions.symbol));
      for (const r of pos)
        accounts
          .get(r.accountId)
          ?.positions.push({ symbol: r.symbol, qty: r.qty, avgCost: r.avgCost });
    }
    if (orders.length) {
      const rows = await this.db
        .select()
        .from(paperOrders)
        .where(
          sql`(${paperOrders.accountId}, ${paperOrders.clientOrderId}) in (select * from json_to_recordset(${JSON.stringify(
            orders.map((o) => ({ a: o.accountId, c: o.clientOrderId })),
          )}::json) as k(a text, c text))`,
        );
      for (const r of rows) found.set(`${r.accountId}|${r.clientOrderId}`, toOrder(r));
    }
    return { accounts, orders: found };
  }

  async getAccount(accountId: string): Promise<BrokerAccount> {
    const [acct] = await this.db
      .select()
      .from(paperAccounts)
      .where(eq(paperAccounts.id, accountId));
    if (!acct) throw new BrokerNotFoundError(`unknown paper account ${accountId}`);
    const values = accountValues(
      await loadBook(this.db, accountId, D(acct.cash), acct.marginEnabled),
    );
    return {
      accountId,
      currency: acct.currency,
      cash: acct.cash,
      equity: fmt(values.equity),
      buyingPower: fmt(values.freeCollateral.gt(0) ? values.freeCollateral : ZERO),
    };
  }

  /**
   * The account's events after `afterSeq`, in seq order, shaped by the injected event
   * faults (see event-delivery.ts). Pass the highest seq you have seen as the next cursor.
   */
  async readEvents(accountId: string, afterSeq: number, limit = 100): Promise<BrokerOrderEvent[]> {
    const [acct] = await this.db
      .select({ head: paperAccounts.eventSeq })
      .from(paperAccounts)
      .where(eq(paperAccounts.id, accountId));
    if (!acct) throw new BrokerNotFoundError(`unknown paper account ${accountId}`);
    return this.deliver(accountId, afterSeq, acct.head, pageLimit(limit));
  }

  /**
   * readEvents for many accounts: one query for the heads, one (lateral, per account
   * limited) for the rows; each account's page is then planned exactly as readEvents does
   * (an account whose page needs more rows than the first read continues on its own).
   */
  async readEventsMany(
    cursors: Array<{ accountId: string; afterSeq: number }>,
    limitPerAccount = 100,
  ): Promise<Map<string, BrokerOrderEvent[]>> {
    const out = new Map<string, BrokerOrderEvent[]>();
    if (cursors.length === 0) return out;
    const ids = new Set<string>();
    for (const c of cursors) {
      if (ids.has(c.accountId)) throw new Error(`readEventsMany: account ${c.accountId} twice`);
      ids.add(c.accountId);
    }
    const max = pageLimit(limitPerAccount);
    const heads = await this.db
      .select({ id: paperAccounts.id, head: paperAccounts.eventSeq })
      .from(paperAccounts)
      .where(
        sql`${paperAccounts.id} in (select jsonb_array_elements_text(${JSON.stringify([...ids])}::jsonb))`,
      );
    const head = new Map(heads.map((h) => [h.id, h.head]));
    for (const c of cursors)
      if (!head.has(c.accountId))
        throw new BrokerNotFoundError(`unknown paper account ${c.accountId}`);
    const keys = cursors.map((c) => ({ a: c.accountId, s: c.afterSeq, h: head.get(c.accountId)! }));
    const rows = await this.db.execute<{
      accountId: string;
      seq: string | number;
      deliverAt: string | number;
      dropped: boolean;
      copies: number;
      swapWithNext: boolean;
      event: StoredEvent | string;
    }>(sql`
      select k.a as "accountId", e.seq, e.deliver_at as "deliverAt", e.dropped, e.copies,
        e.swap_with_next as "swapWithNext", e.event
      from jsonb_to_recordset(${JSON.stringify(keys)}::jsonb) as k(a text, s bigint, h bigint)
      cross join lateral (
        select seq, deliver_at, dropped, copies, swap_with_next, event from paper_events
        where account_id = k.a and seq > k.s and seq <= k.h
        order by seq limit ${max + 64}
      ) e
      order by k.a, e.seq`);
    const byAccount = new Map<string, DeliveryRow<StoredEvent>[]>();
    for (const r of rows) {
      let list = byAccount.get(r.accountId);
      if (!list) byAccount.set(r.accountId, (list = []));
      list.push({
        seq: Number(r.seq),
        deliverAt: Number(r.deliverAt),
        dropped: r.dropped,
        copies: r.copies,
        swapWithNext: r.swapWithNext,
        event: typeof r.event === "string" ? (JSON.parse(r.event) as StoredEvent) : r.event,
      });
    }
    for (const c of cursors) {
      out.set(
        c.accountId,
        await this.deliver(
          c.accountId,
          c.afterSeq,
          head.get(c.accountId)!,
          max,
          byAccount.get(c.accountId) ?? [],
        ),
      );
    }
    return out;
  }

  // ------------------------------------------------------- admin (replay, seed, tests)

  /** Idempotent: an existing account is left as it is. Returns whether it was created. */
  async openAccount(opts: {
    accountId: string;
    cash: string;
    currency?: string;
    margin?: boolean;
  }): Promise<boolean> {
    const cash = parseDecimal(opts.cash, "cash");
    const rows = await this.db
      .insert(paperAccounts)
      .values({
        id: opts.accountId,
        cash: fmt(cash),
        currency: opts.currency ?? "USD",
        marginEnabled: opts.margin ?? false,
        createdAt: this.clock.now(),
      })
      .onConflictDoNothing()
      .returning({ id: paperAccounts.id });
    return rows.length > 0;
  }

  /** A cash movement (negative = withdrawal). Not an order event: it is not in readEvents. */
  async deposit(accountId: string, amount: string): Promise<void> {
    const value = parseDecimal(amount, "amount");
    await AccountTx.run(this.db, accountId, this.seed, async (a) => {
      a.cash = a.cash.plus(value);
    });
  }

  /** null removes the limit (orders fill completely again). */
  async setLiquidity(symbol: string, maxFillQty: string | null): Promise<void> {
    if (maxFillQty === null) {
      await this.db.delete(paperLiquidity).where(eq(paperLiquidity.symbol, symbol));
      return;
    }
    const q = parseDecimal(maxFillQty, "maxFillQty");
    if (q.lte(0)) throw new Error(`maxFillQty must be positive, got ${maxFillQty}`);
    await this.db
      .insert(paperLiquidity)
      .values({ symbol, maxFillQty: fmt(q) })
      .onConflictDoUpdate({ target: paperLiquidity.symbol, set: { maxFillQty: fmt(q) } });
  }

  /** Each key given replaces the stored one; keys not given are kept. */
  async configureAccount(accountId: string, config: AccountConfig): Promise<void> {
    if (config.slippageBps !== undefined) parseDecimal(config.slippageBps, "slippageBps");
    for (const [k, v] of Object.entries(config.commission ?? {}))
      parseDecimal(v, `commission.${k}`);
    await AccountTx.run(this.db, accountId, this.seed, async (a) => {
      const merged = { ...a.config, ...config };
      await a.tx
        .update(paperAccounts)
        .set({ config: merged as Record<string, unknown> })
        .where(eq(paperAccounts.id, accountId));
    });
  }

  /** Queues `count` one-shot faults of `kind` for this account (see faults.ts). */
  async injectFault(accountId: string, kind: FaultKind, count: number): Promise<void> {
    await AccountTx.run(this.db, accountId, this.seed, async (a) => {
      a.faultState = queueFault(a.faultState, kind, count);
    });
  }

  /**
   * The market moves: store the quote, then let every working order on the symbol take
   * what it can (market remainders at the new bid/ask, limits when crossed). Accounts are
   * processed one transaction each, in id order.
   */
  async onQuote(input: QuoteInput): Promise<void> {
    const bid = parseDecimal(input.bid, "bid");
    const ask = parseDecimal(input.ask, "ask");
    if (bid.lte(0) || ask.lt(bid))
      throw new Error(`bad quote for ${input.symbol}: bid ${input.bid} ask ${input.ask}`);
    const ins = await selectInstrument(this.db, input.symbol);
    if (!ins) throw new Error(`UNKNOWN_SYMBOL: no instrument ${input.symbol}`);
    const quote: Quote = { bid: fmt(bid), ask: fmt(ask), at: input.at };
    await this.db
      .insert(quotes)
      .values({ symbol: input.symbol, ...quote })
      .onConflictDoUpdate({ target: quotes.symbol, set: quote });
    if (!isMarketOpen(ins.tradingHours, input.at)) return;

    const accounts = await this.db
      .selectDistinct({ accountId: paperOrders.accountId })
      .from(paperOrders)
      .where(and(eq(paperOrders.symbol, input.symbol), inArray(paperOrders.status, OPEN_STATUSES)))
      .orderBy(asc(paperOrders.accountId));
    const maxFill = await selectLiquidity(this.db, input.symbol);
    for (const { accountId } of accounts) {
      await AccountTx.run(this.db, accountId, this.seed, async (a) => {
        const working = await a.tx
          .select()
          .from(paperOrders)
          .where(
            and(
              eq(paperOrders.accountId, accountId),
              eq(paperOrders.symbol, input.symbol),
              inArray(paperOrders.status, OPEN_STATUSES),
            ),
          )
          .orderBy(asc(paperOrders.createdAt), asc(paperOrders.id));
        for (const o of working) await matchOrder(a, o, ins, quote, input.at, maxFill);
      });
    }
  }

  // ---------------------------------------------------------------- internals

  /**
   * The page of events after `afterSeq` (head = the account's event seq, read before the
   * rows). `first` is the first read of rows when the caller already has it.
   */
  private async deliver(
    accountId: string,
    afterSeq: number,
    head: number,
    max: number,
    first?: DeliveryRow<StoredEvent>[],
  ): Promise<BrokerOrderEvent[]> {
    const rows: DeliveryRow<Record<string, unknown>>[] = [];
    let prefetched = first;
    for (;;) {
      const from = rows.length > 0 ? rows[rows.length - 1]!.seq : afterSeq;
      const stored =
        prefetched ??
        (await this.db
          .select({
            seq: paperEvents.seq,
            deliverAt: paperEvents.deliverAt,
            dropped: paperEvents.dropped,
            copies: paperEvents.copies,
            swapWithNext: paperEvents.swapWithNext,
            event: paperEvents.event,
          })
          .from(paperEvents)
          .where(
            and(
              eq(paperEvents.accountId, accountId),
              gt(paperEvents.seq, from),
              lte(paperEvents.seq, head),
            ),
          )
          .orderBy(asc(paperEvents.seq))
          .limit(max + 64));
      prefetched = undefined;
      // A stored row may hold a run of events (event-rows.ts): one DeliveryRow each.
      const chunk = expandRows(stored, from);
      rows.push(...chunk);
      const plan = planDelivery(rows, head, max);
      if (!plan.needMoreRows || chunk.length === 0) return plan.events.map(eventFromJson);
    }
  }
}

function pageLimit(limit: number): number {
  return Math.max(1, Math.min(Math.floor(limit), 1000));
}
