import type { Db } from "../../../db/client";
import { D, fmt } from "../../domain/money";
import {
  BrokerNotFoundError,
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
  type RejectReason,
} from "../types";
import { AlpacaHttp, type AlpacaCredentials, type RequestBudget } from "./http";
import { EventJournal, eventKey } from "./journal";
import {
  eventFromUpdate,
  chargeFromFeeActivity,
  fillFromActivity,
  statusOf,
  toOrder,
  type AlpacaFeeActivity,
  type AlpacaFillActivity,
  type AlpacaOrder,
  type AlpacaTradeUpdate,
} from "./mapping";
import { TradeUpdatesStream } from "./stream";
import {
  compact,
  compareAsset,
  SymbolMap,
  type AlpacaAsset,
  type CatalogueFinding,
} from "./symbols";

export const ALPACA_PAPER_URL = "https://paper-api.alpaca.markets";
export const ALPACA_PAPER_STREAM = "wss://paper-api.alpaca.markets/stream";
export const ALPACA_LIVE_URL = "https://api.alpaca.markets";
export const ALPACA_LIVE_STREAM = "wss://api.alpaca.markets/stream";

export type AlpacaAccountCredentials = AlpacaCredentials & {
  baseUrl?: string;
  streamUrl?: string;
};

export type AlpacaBrokerOptions = {
  db: Db;
  /** REST base, e.g. ALPACA_PAPER_URL or the local gateway's http://127.0.0.1:port. */
  baseUrl: string;
  /** trade_updates WebSocket, e.g. ALPACA_PAPER_STREAM or ws://127.0.0.1:port/stream. */
  streamUrl: string;
  /**
   * The API key of an account (seam accountId = our id for the Alpaca account), and where
   * that account lives when it is not `baseUrl`/`streamUrl` (a paper and a live account are
   * served by one adapter: each key belongs to one of Alpaca's two environments).
   */
  credentials: (accountId: string) => Promise<AlpacaAccountCredentials>;
  /** Per account; default Alpaca's 200 requests per minute. */
  budget?: RequestBudget;
  timeoutMs?: number;
  name?: string;
  streamBackoffMs?: [number, number];
  log?: (msg: string, extra?: Record<string, unknown>) => void;
};

/** What "connect a broker account" checks before saving it (status, blocks, buying power). */
export type AccountVerification = {
  ok: boolean;
  /** Alpaca's id of the account (one API key = one account): our external id for it. */
  alpacaAccountId: string;
  accountNumber: string | null;
  status: string;
  tradingBlocked: boolean;
  accountBlocked: boolean;
  patternDayTrader: boolean;
  buyingPower: string;
  equity: string;
  cash: string;
  currency: string;
  /** In words, when not ok. */
  problem: string | null;
};

type AlpacaAccountBody = {
  id: string;
  account_number?: string;
  status: string;
  currency?: string;
  cash?: string;
  equity?: string;
  buying_power?: string;
  trading_blocked?: boolean;
  account_blocked?: boolean;
  trade_suspended_by_user?: boolean;
  pattern_day_trader?: boolean;
};

type AlpacaPositionBody = { symbol: string; qty: string; side: string; avg_entry_price: string };

type Ctx = {
  http: AlpacaHttp;
  stream: TradeUpdatesStream;
  listeners: Set<(e: BrokerOrderEvent) => void>;
};

const DECIMAL = /^\d+(\.\d+)?$/;
const TERMINAL = new Set(["filled", "cancelled", "rejected", "expired"]);

/**
 * Alpaca behind the BrokerAdapter seam (server/brokers/README.md, docs/adr/0020). One API
 * key per account: every call names the account, the adapter keeps one HTTP client (with
 * that account's request budget) and one trade_updates stream per account.
 */
export class AlpacaBroker implements BrokerAdapter {
  readonly name: string;
  private readonly ctx = new Map<string, Promise<Ctx>>();
  private readonly symbols: SymbolMap;
  private readonly journal: EventJournal;
  /** Order id → client order id and our symbol (immutable facts of an order). */
  private readonly orderFacts = new Map<
    string,
    { clientOrderId: string; symbol: string; side: "buy" | "sell" }
  >();
  private readonly assets = new Map<string, { asset: AlpacaAsset | null; at: number }>();
  private readonly warned = new Set<string>();

  constructor(private readonly opts: AlpacaBrokerOptions) {
    this.name = opts.name ?? "alpaca";
    this.symbols = new SymbolMap(opts.db);
    this.journal = new EventJournal(opts.db);
  }

  // ------------------------------------------------------------------ per account

  private account(accountId: string): Promise<Ctx> {
    let c = this.ctx.get(accountId);
    if (!c) {
      c = this.makeCtx(accountId);
      this.ctx.set(accountId, c);
      c.catch(() => this.ctx.delete(accountId));
    }
    return c;
  }

  private async makeCtx(accountId: string): Promise<Ctx> {
    const credentials = await this.opts.credentials(accountId).catch(() => {
      throw new BrokerNotFoundError(`no Alpaca API key is stored for account ${accountId}`);
    });
    const http = new AlpacaHttp({
      baseUrl: credentials.baseUrl ?? this.opts.baseUrl,
      credentials: { keyId: credentials.keyId, secretKey: credentials.secretKey },
      budget: this.opts.budget,
      timeoutMs: this.opts.timeoutMs,
    });
    const listeners = new Set<(e: BrokerOrderEvent) => void>();
    const resumeFrom = await this.journal.lastDeliveredAt(accountId);
    const stream = new TradeUpdatesStream({
      url: credentials.streamUrl ?? this.opts.streamUrl,
      credentials: { keyId: credentials.keyId, secretKey: credentials.secretKey },
      resumeFrom,
      minBackoffMs: this.opts.streamBackoffMs?.[0],
      maxBackoffMs: this.opts.streamBackoffMs?.[1],
      log: this.opts.log,
      onUpdate: (u) => this.onUpdate(accountId, u),
      onGap: async (gapStart) => {
        await this.catchUp(accountId, gapStart);
      },
    });
    return { http, stream, listeners };
  }

  private async http(accountId: string): Promise<AlpacaHttp> {
    return (await this.account(accountId)).http;
  }

  /**
   * Drops what the adapter holds for an account (its HTTP client, its stream, its
   * listeners): after a disconnect or a new API key, the next call reads the key again.
   */
  async forget(accountId: string): Promise<void> {
    const c = this.ctx.get(accountId);
    if (!c) return;
    this.ctx.delete(accountId);
    const ctx = await c.catch(() => null);
    ctx?.listeners.clear();
    await ctx?.stream.close();
  }

  /** Stops every stream (worker shutdown, tests). */
  async close(): Promise<void> {
    const all = [...this.ctx.values()];
    this.ctx.clear();
    for (const c of all) await (await c.catch(() => null))?.stream.close();
  }

  // ------------------------------------------------------------------ symbols, assets

  private async ours(brokerSymbol: string): Promise<string> {
    return (await this.symbols.ourSymbol(brokerSymbol)) ?? compact(brokerSymbol);
  }

  private async asset(http: AlpacaHttp, brokerSymbol: string): Promise<AlpacaAsset | null> {
    const hit = this.assets.get(brokerSymbol);
    if (hit && Date.now() - hit.at < 10 * 60_000) return hit.asset;
    let asset: AlpacaAsset | null;
    try {
      asset = (await http.get<AlpacaAsset>(`/v2/assets/${encodeURIComponent(brokerSymbol)}`)).body;
    } catch (e) {
      if (!(e instanceof BrokerNotFoundError)) throw e;
      asset = null;
    }
    this.assets.set(brokerSymbol, { asset, at: Date.now() });
    return asset;
  }

  /** Our catalogue against Alpaca's assets for these symbols (findings in words). */
  async checkCatalogue(accountId: string, symbols: string[]): Promise<CatalogueFinding[]> {
    const http = await this.http(accountId);
    const out: CatalogueFinding[] = [];
    for (const s of symbols) {
      const inst = await this.symbols.instrument(s);
      const bs = await this.symbols.brokerSymbol(s);
      if (!inst || !bs) continue;
      const asset = await this.asset(http, bs);
      if (!asset)
        out.push({
          field: "symbol",
          ours: s,
          alpaca: bs,
          message: `${s}: Alpaca has no asset ${bs}`,
        });
      else out.push(...compareAsset(inst, asset));
    }
    return out;
  }

  // ------------------------------------------------------------------ the seam

  async placeOrder(req: OrderRequest): Promise<BrokerOrder> {
    const c = await this.account(req.accountId);
    const refusal = await this.checkLocally(c.http, req);
    if (refusal) {
      // The id is the identity: an existing order under it wins over a refused body.
      const existing = await this.getOrder(req.accountId, req.clientOrderId);
      if (existing) return existing;
      throw refusal;
    }
    const bs = (await this.symbols.brokerSymbol(req.symbol))!;
    const inst = (await this.symbols.instrument(req.symbol))!;
    // Listening before the order exists, so none of its updates can pass us by.
    await c.stream.start();
    const body: Record<string, string> = {
      symbol: bs,
      qty: req.qty,
      side: req.side,
      type: req.type,
      time_in_force: inst.assetClass === "crypto" ? "gtc" : "day",
      client_order_id: req.clientOrderId,
    };
    if (req.type === "limit") body.limit_price = req.limitPrice!;
    try {
      const { body: o } = await c.http.send<AlpacaOrder>("POST", "/v2/orders", undefined, body);
      return await this.known(req.accountId, o);
    } catch (e) {
      if (e instanceof BrokerRejectedError && /client_order_id must be unique/i.test(e.message)) {
        const existing = await this.getOrder(req.accountId, req.clientOrderId);
        if (existing) return existing;
      }
      if (e instanceof BrokerTransientError) {
        // The server said it failed; make sure before the caller retries (same id).
        let existing: BrokerOrder | null;
        try {
          existing = await this.getOrder(req.accountId, req.clientOrderId);
        } catch {
          throw new BrokerUnknownOutcomeError(
            `${e.message}; the order could not be looked up, outcome unknown`,
          );
        }
        if (existing) return existing;
      }
      throw e;
    }
  }

  /** Refusals we can give without asking (malformed, unknown, not fractionable). */
  private async checkLocally(
    http: AlpacaHttp,
    req: OrderRequest,
  ): Promise<BrokerRejectedError | null> {
    const refuse = (reason: RejectReason, msg: string) => new BrokerRejectedError(reason, msg);
    if (typeof req.qty !== "string" || !DECIMAL.test(req.qty) || D(req.qty).lte(0))
      return refuse(
        "INVALID_ORDER",
        `qty must be a positive decimal string, got ${JSON.stringify(req.qty)}`,
      );
    if (req.type === "limit" && (req.limitPrice === undefined || !DECIMAL.test(req.limitPrice)))
      return refuse("INVALID_ORDER", "a limit order needs limitPrice as a positive decimal string");
    if (req.type === "market" && req.limitPrice !== undefined)
      return refuse("INVALID_ORDER", "a market order takes no limitPrice");
    const bs = await this.symbols.brokerSymbol(req.symbol);
    const inst = await this.symbols.instrument(req.symbol);
    if (!bs || !inst)
      return refuse("UNKNOWN_SYMBOL", `${req.symbol} is not an instrument in our catalogue`);
    const asset = await this.asset(http, bs);
    if (!asset || !asset.tradable || asset.status !== "active")
      return refuse("UNKNOWN_SYMBOL", `Alpaca does not trade ${bs}`);
    if (!asset.fractionable && !D(req.qty).isInteger())
      return refuse("QTY_NOT_ON_STEP", `Alpaca's ${bs} is not fractionable; qty ${req.qty} is`);
    if (!this.warned.has(req.symbol)) {
      this.warned.add(req.symbol);
      for (const f of compareAsset(inst, asset)) this.opts.log?.("alpaca catalogue drift", f);
    }
    return null;
  }

  /**
   * An order seen in a REST answer: remember its facts and reserve the journal seqs of the
   * events it implies, so that the stream losing them shows as a gap (journal.ts).
   */
  private async known(accountId: string, o: AlpacaOrder): Promise<BrokerOrder> {
    const symbol = await this.ours(o.symbol);
    this.orderFacts.set(o.id, { clientOrderId: o.client_order_id, symbol, side: o.side });
    const order = toOrder(o, accountId, symbol);
    if (order.status !== "rejected")
      await this.journal.reserve(accountId, eventKey(o.id, "accepted"));
    if (D(order.filledQty).gt(0))
      await this.journal.reserve(accountId, eventKey(o.id, "filled", order.filledQty));
    if (order.status === "cancelled" || order.status === "expired" || order.status === "rejected")
      await this.journal.reserve(accountId, eventKey(o.id, order.status));
    return order;
  }

  async cancelOrder(accountId: string, clientOrderId: string): Promise<BrokerOrder> {
    const http = await this.http(accountId);
    const before = await this.getOrder(accountId, clientOrderId);
    if (!before) throw new BrokerNotFoundError(`no order ${clientOrderId} on account ${accountId}`);
    if (TERMINAL.has(before.status)) return before;
    try {
      await http.send("DELETE", `/v2/orders/${before.brokerOrderId}`);
    } catch (e) {
      // 422: no longer cancelable (filled or canceled meanwhile): report the truth below.
      if (!(e instanceof BrokerRejectedError)) throw e;
    }
    const { body } = await http.get<AlpacaOrder>(`/v2/orders/${before.brokerOrderId}`);
    return this.known(accountId, body);
  }

  async getOrder(accountId: string, clientOrderId: string): Promise<BrokerOrder | null> {
    const http = await this.http(accountId);
    try {
      const { body } = await http.get<AlpacaOrder>("/v2/orders:by_client_order_id", {
        client_order_id: clientOrderId,
      });
      const symbol = await this.ours(body.symbol);
      this.orderFacts.set(body.id, {
        clientOrderId: body.client_order_id,
        symbol,
        side: body.side,
      });
      return toOrder(body, accountId, symbol);
    } catch (e) {
      if (e instanceof BrokerNotFoundError) return null;
      throw e;
    }
  }

  async listOpenOrders(accountId: string): Promise<BrokerOrder[]> {
    const http = await this.http(accountId);
    const { body } = await http.get<AlpacaOrder[]>("/v2/orders", {
      status: "open",
      direction: "asc",
      limit: "500",
    });
    const out: BrokerOrder[] = [];
    for (const o of body) out.push(toOrder(o, accountId, await this.ours(o.symbol)));
    return out;
  }

  private async factsOf(http: AlpacaHttp, orderId: string) {
    let f = this.orderFacts.get(orderId);
    if (!f) {
      const { body } = await http.get<AlpacaOrder>(`/v2/orders/${orderId}`);
      f = {
        clientOrderId: body.client_order_id,
        symbol: await this.ours(body.symbol),
        side: body.side,
      };
      this.orderFacts.set(orderId, f);
    }
    return f;
  }

  /** FILL activities, oldest first, paged with page_token. */
  private fillActivities(
    http: AlpacaHttp,
    q: { after?: Date; orderId?: string; pageToken?: string },
  ): Promise<AlpacaFillActivity[]> {
    return this.activities<AlpacaFillActivity>(http, "FILL", q);
  }

  /** One type of account activities, oldest first, paged with page_token. */
  private async activities<A extends { id: string }>(
    http: AlpacaHttp,
    type: "FILL" | "CFEE",
    q: { after?: Date; orderId?: string; pageToken?: string },
  ): Promise<A[]> {
    const out: A[] = [];
    let token = q.pageToken;
    for (let guard = 0; guard < 1000; guard++) {
      const { body } = await http.get<A[]>(`/v2/account/activities/${type}`, {
        direction: "asc",
        page_size: "100",
        after: q.after?.toISOString(),
        order_id: q.orderId,
        page_token: token,
      });
      out.push(...body);
      if (body.length < 100) return out;
      token = body[body.length - 1]!.id;
    }
    throw new BrokerTransientError("Alpaca activities did not run dry");
  }

  async listFills(
    accountId: string,
    opts: { since?: Date; clientOrderId?: string } = {},
  ): Promise<BrokerFill[]> {
    const http = await this.http(accountId);
    let orderId: string | undefined;
    if (opts.clientOrderId !== undefined) {
      const o = await this.getOrder(accountId, opts.clientOrderId);
      if (!o) return [];
      orderId = o.brokerOrderId;
    }
    // `after` is exclusive at Alpaca; ours is inclusive: ask from just before.
    const after = opts.since ? new Date(opts.since.getTime() - 1) : undefined;
    const acts = await this.fillActivities(http, { after, orderId });
    const out: BrokerFill[] = [];
    for (const a of acts) {
      const f = await this.factsOf(http, a.order_id);
      const fill = fillFromActivity(a, accountId, f.clientOrderId, f.symbol);
      if (!opts.since || fill.at >= opts.since) out.push(fill);
    }
    return out;
  }

  /**
   * Fills of an account after `cursor` (an activity id; none = from the start), oldest
   * first, and the cursor to pass next time. For leader ingestion: whatever the stream did,
   * this is the complete record (Alpaca's account activities).
   */
  async fillsSince(
    accountId: string,
    cursor: string | null,
  ): Promise<{ fills: BrokerFill[]; cursor: string | null }> {
    const http = await this.http(accountId);
    const acts = await this.fillActivities(http, { pageToken: cursor ?? undefined });
    const fills: BrokerFill[] = [];
    for (const a of acts) {
      const f = await this.factsOf(http, a.order_id);
      fills.push(fillFromActivity(a, accountId, f.clientOrderId, f.symbol));
    }
    return { fills, cursor: acts.length ? acts[acts.length - 1]!.id : cursor };
  }

  /**
   * Crypto fees: Alpaca posts them as CFEE activities apart from the fills ("typically the
   * day after the trade"), linked to their order by `group_id`. A fee in cash becomes a
   * charge on that order; one without an order we can name is left out (and logged).
   */
  async listCharges(accountId: string, since: Date): Promise<BrokerFill[]> {
    const http = await this.http(accountId);
    const after = new Date(since.getTime() - 1);
    const acts = await this.activities<AlpacaFeeActivity>(http, "CFEE", { after });
    const out: BrokerFill[] = [];
    for (const a of acts) {
      if (!a.group_id) {
        this.opts.log?.("alpaca: a crypto fee names no order; not booked", { id: a.id });
        continue;
      }
      const f = await this.factsOf(http, a.group_id);
      const charge = chargeFromFeeActivity(a, accountId, f);
      if (charge && charge.at >= since) out.push(charge);
    }
    return out;
  }

  async getPositions(accountId: string): Promise<BrokerPosition[]> {
    const http = await this.http(accountId);
    const { body } = await http.get<AlpacaPositionBody[]>("/v2/positions");
    const out: BrokerPosition[] = [];
    for (const p of body) {
      let qty = D(p.qty);
      if (p.side === "short" && qty.gt(0)) qty = qty.neg();
      if (qty.isZero()) continue;
      out.push({
        symbol: await this.ours(p.symbol),
        qty: fmt(qty),
        avgCost: fmt(p.avg_entry_price),
      });
    }
    return out;
  }

  async getAccount(accountId: string): Promise<BrokerAccount> {
    const http = await this.http(accountId);
    const { body } = await http.get<AlpacaAccountBody>("/v2/account");
    return {
      accountId,
      currency: body.currency ?? "USD",
      cash: fmt(body.cash ?? "0"),
      equity: fmt(body.equity ?? "0"),
      buyingPower: fmt(D(body.buying_power ?? "0").lt(0) ? "0" : (body.buying_power ?? "0")),
    };
  }

  /** Before an account is saved: active, trading not blocked, buying power known. */
  async verifyAccount(accountId: string): Promise<AccountVerification> {
    const http = await this.http(accountId);
    const { body } = await http.get<AlpacaAccountBody>("/v2/account");
    const problems: string[] = [];
    if (body.status !== "ACTIVE") problems.push(`the account status is ${body.status}, not ACTIVE`);
    if (body.trading_blocked) problems.push("trading is blocked on this account");
    if (body.account_blocked) problems.push("the account is blocked");
    if (body.trade_suspended_by_user) problems.push("trading is suspended by the account holder");
    return {
      ok: problems.length === 0,
      alpacaAccountId: body.id,
      accountNumber: body.account_number ?? null,
      status: body.status,
      tradingBlocked: Boolean(body.trading_blocked),
      accountBlocked: Boolean(body.account_blocked),
      patternDayTrader: Boolean(body.pattern_day_trader),
      buyingPower: fmt(body.buying_power ?? "0"),
      equity: fmt(body.equity ?? "0"),
      cash: fmt(body.cash ?? "0"),
      currency: body.currency ?? "USD",
      problem: problems.length ? problems.join("; ") : null,
    };
  }

  async readEvents(accountId: string, afterSeq: number, limit = 100): Promise<BrokerOrderEvent[]> {
    const c = await this.account(accountId);
    await c.stream.barrier();
    return this.journal.read(accountId, afterSeq, limit);
  }

  /**
   * Every event the stream (or a catch-up) delivers for this account, after it is
   * journaled, with its seq. For the leader side: wire it to ingestion, and use
   * fillsSince as the complete record after a restart. Returns the unsubscribe.
   */
  async subscribe(accountId: string, listener: (e: BrokerOrderEvent) => void): Promise<() => void> {
    const c = await this.account(accountId);
    c.listeners.add(listener);
    await c.stream.start();
    return () => c.listeners.delete(listener);
  }

  /** The stream of an account (tests drop its connection). */
  async streamOf(accountId: string): Promise<TradeUpdatesStream> {
    return (await this.account(accountId)).stream;
  }

  // ------------------------------------------------------------------ stream side

  private async onUpdate(accountId: string, u: AlpacaTradeUpdate): Promise<void> {
    const symbol = await this.ours(u.order.symbol);
    this.orderFacts.set(u.order.id, {
      clientOrderId: u.order.client_order_id,
      symbol,
      side: u.order.side,
    });
    const e = eventFromUpdate(u, accountId, symbol);
    if (!e) return;
    await this.deliver(accountId, eventKey(u.order.id, e.type, e.filledQty), e);
  }

  private async deliver(accountId: string, key: string, e: BrokerOrderEvent): Promise<void> {
    const seq = await this.journal.deliver(accountId, key, e);
    const c = await this.account(accountId);
    for (const l of c.listeners) {
      try {
        l({ ...e, seq });
      } catch (err) {
        this.opts.log?.("alpaca stream listener failed", { error: String(err) });
      }
    }
  }

  /**
   * After a gap: what Alpaca's records say happened since, journaled in order (accepted,
   * fills, terminal states) — only what the journal does not know yet. A missed update is
   * never assumed: it is read back from account activities and orders.
   */
  async catchUp(accountId: string, gapStart: Date): Promise<number> {
    const http = await this.http(accountId);
    // A margin for clock skew between us and Alpaca; keys make the overlap harmless.
    const since = new Date(gapStart.getTime() - 5_000);
    const { body: orders } = await http.get<AlpacaOrder[]>("/v2/orders", {
      status: "all",
      direction: "asc",
      limit: "500",
      after: new Date(gapStart.getTime() - 24 * 3600_000).toISOString(),
    });
    const fills = await this.fillActivities(http, { after: since });
    let added = 0;
    const base = async (o: AlpacaOrder) => ({
      accountId,
      clientOrderId: o.client_order_id,
      brokerOrderId: o.id,
      symbol: await this.ours(o.symbol),
      side: o.side,
    });
    for (const o of orders) {
      const key = eventKey(o.id, "accepted");
      if (statusOf(o.status) === "rejected" || (await this.journal.has(accountId, key))) continue;
      await this.deliver(accountId, key, {
        seq: 0,
        type: "accepted",
        filledQty: "0",
        at: new Date(o.submitted_at ?? o.created_at),
        ...(await base(o)),
      });
      added++;
    }
    for (const a of fills) {
      const key = eventKey(a.order_id, "filled", fmt(a.cum_qty));
      if (await this.journal.has(accountId, key)) continue;
      const f = await this.factsOf(http, a.order_id);
      const fill = fillFromActivity(a, accountId, f.clientOrderId, f.symbol);
      await this.deliver(accountId, key, {
        seq: 0,
        accountId,
        type: a.type === "fill" ? "filled" : "partially_filled",
        clientOrderId: f.clientOrderId,
        brokerOrderId: a.order_id,
        symbol: f.symbol,
        side: fill.side,
        filledQty: fmt(a.cum_qty),
        at: fill.at,
        fill,
      });
      added++;
    }
    for (const o of orders) {
      const status = statusOf(o.status);
      if (status !== "cancelled" && status !== "expired" && status !== "rejected") continue;
      const key = eventKey(o.id, status);
      if (await this.journal.has(accountId, key)) continue;
      await this.deliver(accountId, key, {
        seq: 0,
        type: status,
        filledQty: fmt(o.filled_qty),
        at: new Date(o.updated_at),
        ...(await base(o)),
      });
      added++;
    }
    this.opts.log?.("alpaca stream: caught up after a gap", { accountId, added });
    return added;
  }
}
