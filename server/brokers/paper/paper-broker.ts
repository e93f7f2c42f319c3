import { and, asc, eq, gt, gte, inArray, lte } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { instruments, quotes } from "../../../db/schema/instruments";
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
  BrokerRateLimitedError,
  BrokerRejectedError,
  BrokerTransientError,
  BrokerUnknownOutcomeError,
  type BrokerAccount,
  type BrokerAdapter,
  type BrokerFill,
  type BrokerOrder,
  type BrokerOrderEvent,
  type BrokerPosition,
  type OrderRequest,
} from "../types";
import { AccountTx, type AccountConfig } from "./account-tx";
import { loadBook } from "./book";
import { planDelivery, type DeliveryRow } from "./event-delivery";
import { decideCall, queueFault, type CallDecision, type FaultKind } from "./faults";
import { accountValues } from "./margin";
import { matchOrder } from "./matching";
import type { Quote } from "./pricing";
import {
  eventFromJson,
  isOpen,
  OPEN_STATUSES,
  seqId,
  toFill,
  toOrder,
  type OrderRow,
} from "./rows";
import { isMarketOpen } from "./trading-hours";
import { parseOrder, validateOrder, type Instrument, type ParsedOrder } from "./validation";

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
};

export type QuoteInput = { symbol: string; bid: string; ask: string; at: Date };

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

  constructor(opts: PaperBrokerOptions) {
    this.db = opts.db;
    this.clock = opts.clock;
    this.seed = opts.seed;
    this.name = opts.name ?? "paper";
    const manual = typeof (opts.clock as { advance?: unknown }).advance === "function";
    this.sleep = opts.sleep ?? (manual ? noSleep : realSleep);
  }

  // ---------------------------------------------------------------- the seam

  async placeOrder(req: OrderRequest): Promise<BrokerOrder> {
    const parsed = parseOrder(req);
    if (!parsed || typeof req.clientOrderId !== "string" || req.clientOrderId === "") {
      throw new BrokerRejectedError(
        "INVALID_ORDER",
        `malformed order request ${JSON.stringify(req)}`,
      );
    }
    const { decision, order, retryAfterMs } = await AccountTx.run(
      this.db,
      req.accountId,
      this.seed,
      async (a) => {
        const decision: CallDecision = decideCall(
          a.faultState,
          a.config.faults ?? {},
          this.seed,
          a.id,
          true,
        );
        const retryAfterMs = a.config.faults?.rateLimitRetryAfterMs ?? 1000;
        // Faults before acceptance: the request never reached the matching engine.
        if (decision.fault && decision.fault !== "timeout_after_accept")
          return { decision, order: null, retryAfterMs };
        const existing = await this.findOrder(a.tx, a.id, req.clientOrderId);
        const order = existing ?? (await this.createOrder(a, req.clientOrderId, parsed));
        return { decision, order, retryAfterMs };
      },
    );
    await this.sleep(decision.latencyMs);
    switch (decision.fault) {
      case "rate_limited":
        throw new BrokerRateLimitedError(retryAfterMs, "injected 429: rate limited");
      case "error_before_accept":
        throw new BrokerTransientError("injected error before acceptance");
      case "reject":
        throw new BrokerRejectedError("INJECTED_REJECT", "injected rejection");
      case "timeout_after_accept":
        throw new BrokerUnknownOutcomeError("injected timeout after acceptance");
    }
    const result = toOrder(order!);
    // A rejected order surfaces as an error on every submission, the first and the repeats.
    if (result.status === "rejected") {
      throw new BrokerRejectedError(result.rejectReason ?? "REJECTED", undefined, result);
    }
    return result;
  }

  async cancelOrder(accountId: string, clientOrderId: string): Promise<BrokerOrder> {
    const { decision, order } = await AccountTx.run(this.db, accountId, this.seed, async (a) => {
      const decision = decideCall(a.faultState, a.config.faults ?? {}, this.seed, a.id, false);
      const order = await this.findOrder(a.tx, accountId, clientOrderId);
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
      await a.emit(this.orderEvent(a.nextSeq(), order, at));
      return { decision, order };
    });
    await this.sleep(decision.latencyMs);
    if (!order) throw new BrokerNotFoundError(`no order ${clientOrderId} on account ${accountId}`);
    return toOrder(order);
  }

  async getOrder(accountId: string, clientOrderId: string): Promise<BrokerOrder | null> {
    const row = await this.findOrder(this.db, accountId, clientOrderId);
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
    const max = Math.max(1, Math.min(Math.floor(limit), 1000));
    const rows: DeliveryRow<Record<string, unknown>>[] = [];
    for (;;) {
      const from = rows.length > 0 ? rows[rows.length - 1]!.seq : afterSeq;
      const chunk = await this.db
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
            lte(paperEvents.seq, acct.head),
          ),
        )
        .orderBy(asc(paperEvents.seq))
        .limit(max + 64);
      rows.push(...chunk);
      const plan = planDelivery(rows, acct.head, max);
      if (!plan.needMoreRows || chunk.length === 0) return plan.events.map(eventFromJson);
    }
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
    const ins = await this.instrument(this.db, input.symbol);
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
    const maxFill = await this.liquidity(this.db, input.symbol);
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

  private async createOrder(
    a: AccountTx,
    clientOrderId: string,
    p: ParsedOrder,
  ): Promise<OrderRow> {
    const now = this.clock.now();
    const ins = await this.instrument(a.tx, p.symbol);
    const [q] = await a.tx.select().from(quotes).where(eq(quotes.symbol, p.symbol));
    const quote: Quote | null = q ? { bid: q.bid, ask: q.ask, at: q.at } : null;
    const values = accountValues(await loadBook(a.tx, a.id, a.cash, a.marginEnabled, [p.symbol]));
    const position = (
      await a.tx
        .select({ qty: paperPositions.qty })
        .from(paperPositions)
        .where(and(eq(paperPositions.accountId, a.id), eq(paperPositions.symbol, p.symbol)))
    )[0];
    const reason = validateOrder({
      order: p,
      instrument: ins,
      quote,
      now,
      position: position ? D(position.qty) : ZERO,
      projected: values.projected.get(p.symbol) ?? ZERO,
      freeCollateral: values.freeCollateral,
      marginEnabled: a.marginEnabled,
      slippageBps: a.config.slippageBps ?? "0",
      commission: a.config.commission,
    });

    const seq = a.nextSeq();
    const [order] = await a.tx
      .insert(paperOrders)
      .values({
        id: seqId("PO", a.id, seq),
        accountId: a.id,
        clientOrderId,
        symbol: p.symbol,
        side: p.side,
        type: p.type,
        qty: fmt(p.qty),
        limitPrice: p.limitPrice ? fmt(p.limitPrice) : null,
        status: reason ? "rejected" : "accepted",
        rejectReason: reason,
        createdAt: now,
        updatedAt: now,
      })
      .returning();
    await a.emit(this.orderEvent(seq, order!, now));
    if (!reason && quote && ins) {
      await matchOrder(a, order!, ins, quote, now, await this.liquidity(a.tx, p.symbol));
    }
    return order!;
  }

  private orderEvent(seq: number, o: OrderRow, at: Date): BrokerOrderEvent {
    const e: BrokerOrderEvent = {
      seq,
      accountId: o.accountId,
      type: o.status as BrokerOrderEvent["type"],
      clientOrderId: o.clientOrderId,
      brokerOrderId: o.id,
      symbol: o.symbol,
      side: o.side,
      filledQty: o.filledQty,
      at,
    };
    if (o.rejectReason) e.reason = o.rejectReason;
    return e;
  }

  private async findOrder(
    db: Pick<Db, "select">,
    accountId: string,
    clientOrderId: string,
  ): Promise<OrderRow | null> {
    const [row] = await db
      .select()
      .from(paperOrders)
      .where(
        and(eq(paperOrders.accountId, accountId), eq(paperOrders.clientOrderId, clientOrderId)),
      );
    return row ?? null;
  }

  private async instrument(
    db: Pick<Db, "select">,
    symbol: string,
  ): Promise<Instrument | undefined> {
    const [row] = await db.select().from(instruments).where(eq(instruments.symbol, symbol));
    return row;
  }

  private async liquidity(db: Pick<Db, "select">, symbol: string): Promise<string | null> {
    const [row] = await db.select().from(paperLiquidity).where(eq(paperLiquidity.symbol, symbol));
    return row?.maxFillQty ?? null;
  }
}
