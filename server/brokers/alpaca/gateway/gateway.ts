import { createHash, randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { and, asc, eq, inArray } from "drizzle-orm";
import WebSocket, { WebSocketServer } from "ws";
import type { Db } from "../../../../db/client";
import { quotes } from "../../../../db/schema/instruments";
import { paperOrders } from "../../../../db/schema/paper-broker";
import { D, fmt } from "../../../domain/money";
import type { PaperBroker } from "../../paper";
import { toOrder as paperRowToOrder } from "../../paper/rows";
import {
  BrokerRejectedError,
  type BrokerFill,
  type BrokerOrder,
  type BrokerOrderEvent,
} from "../../types";
import { compact, SymbolMap, type CatalogueInstrument } from "../symbols";
import { AlpacaSpec, type Violation } from "./openapi";

/**
 * A local Alpaca-compatible gateway: Alpaca's Trading REST API and trade_updates WebSocket
 * over plain HTTP on 127.0.0.1, backed by the paper broker's matching (orders, fills,
 * positions and cash are the paper broker's; nothing here matches or books). Every request
 * and response body is checked against Alpaca's published OpenAPI description; with
 * `strict` a mismatch is answered 500 and recorded in `violations`, so a drift fails tests.
 *
 * Its own fault injection, per account (`injectFault`): bursts of 429, 5xx before an order
 * is accepted, a connection dropped after an order was accepted, refusals, stream messages
 * dropped or duplicated, and a disconnect in the middle of a fill.
 */

export type GatewayFault =
  /** The next N requests of any kind: 429 with X-RateLimit-* headers. */
  | "http_429_burst"
  /** The next N POST /v2/orders: 429 (nothing placed). */
  | "order_429"
  /** The next N POST /v2/orders: 500 before anything happens. */
  | "order_500"
  /** The next N POST /v2/orders: placed, then the connection is dropped with no answer. */
  | "order_drop_after_accept"
  /** The next N POST /v2/orders: placed, then answered 500 (the outcome looks failed). */
  | "order_500_after_accept"
  /** The next N POST /v2/orders: placed, then no answer until the client gives up. */
  | "order_hang_after_accept"
  /** The next N POST /v2/orders: 422 INJECTED_REJECT (nothing placed). */
  | "order_reject"
  /** The next N trade_updates messages are not sent. */
  | "stream_drop"
  /** The next N trade_updates messages are sent twice. */
  | "stream_duplicate"
  /** The next N fill messages: the account's stream connections are cut instead. */
  | "stream_disconnect_mid_fill";

export type GatewayOptions = {
  db: Db;
  paper: PaperBroker;
  /** Answer 500 on any request or response that does not match the OpenAPI description. */
  strict?: boolean;
  port?: number;
  rateLimitPerMinute?: number;
  spec?: AlpacaSpec;
  /**
   * Serve `POST /local/accounts` (not Alpaca's API): opens a paper account and answers its
   * API key, so a person (or a browser journey) can connect an account in the app.
   * `npm run dev` with TANDEM_BROKER=alpaca-local and the e2e server turn it on.
   */
  admin?: { keyFor: (accountId: string) => { keyId: string; secretKey: string } };
};

type Key = { keyId: string; secretKey: string; accountId: string };

type Client = { ws: WebSocket; accountId: string | null; listening: boolean };

/** A stable RFC 4122-shaped id for one of our string ids (Alpaca's ids are UUIDs). */
export function uuidOf(text: string): string {
  const h = createHash("sha1").update(text).digest("hex");
  const v = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${v}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const STATUS: Record<string, string> = {
  accepted: "new",
  partially_filled: "partially_filled",
  filled: "filled",
  cancelled: "canceled",
  rejected: "rejected",
  expired: "expired",
};
const EVENT: Record<string, string> = {
  accepted: "new",
  partially_filled: "partial_fill",
  filled: "fill",
  cancelled: "canceled",
  expired: "expired",
};

function iso(d: Date): string {
  return d.toISOString();
}

function activityStamp(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(
    d.getUTCMinutes(),
  )}${p(d.getUTCSeconds())}${p(d.getUTCMilliseconds(), 3)}`;
}

type Activity = Record<string, unknown> & { id: string; at: Date; order_id?: string };

/** Alpaca's activity filters and paging, on a list oldest first. */
function page(all: Activity[], q: Record<string, string>) {
  let list = all;
  if (q.after) list = list.filter((a) => a.at > new Date(q.after!));
  if (q.until) list = list.filter((a) => a.at < new Date(q.until!));
  if (q.order_id) list = list.filter((a) => (a.order_id ?? a.group_id) === q.order_id);
  if (q.direction !== "asc") list = [...list].reverse();
  if (q.page_token) {
    const i = list.findIndex((a) => a.id === q.page_token);
    list = i >= 0 ? list.slice(i + 1) : [];
  }
  const size = Math.min(100, Number(q.page_size ?? 100));
  return list.slice(0, size).map(({ at: _at, ...a }) => a);
}

class HttpAnswer {
  constructor(
    readonly status: number,
    readonly body?: unknown,
    readonly headers: Record<string, string> = {},
  ) {}
}

const refuse = (status: number, code: number, message: string) =>
  new HttpAnswer(status, { code, message });

export class AlpacaGateway {
  readonly violations: Violation[] = [];
  private server!: http.Server;
  private wss!: WebSocketServer;
  private readonly keys = new Map<string, Key>();
  private readonly clients = new Set<Client>();
  private readonly faults = new Map<string, Map<GatewayFault, number>>();
  /** Our order id (paper) ↔ Alpaca-style UUID. */
  private readonly orderByUuid = new Map<string, { accountId: string; clientOrderId: string }>();
  /** Per account: highest paper event seq already turned into stream messages. */
  private readonly cursor = new Map<string, number>();
  private pumping = new Map<string, Promise<void>>();
  private readonly symbols: SymbolMap;
  private readonly flags = new Map<string, { tradingBlocked?: boolean; status?: string }>();
  private spec!: AlpacaSpec;
  private readonly budget = new Map<string, { windowStart: number; used: number }>();
  url = "";
  streamUrl = "";
  /** Requests answered, by route (tests read it to see that the budget is kept). */
  readonly requests: string[] = [];

  private constructor(private readonly opts: GatewayOptions) {
    this.symbols = new SymbolMap(opts.db, 0);
  }

  static async start(opts: GatewayOptions): Promise<AlpacaGateway> {
    const g = new AlpacaGateway(opts);
    g.spec = opts.spec ?? (await AlpacaSpec.load());
    g.server = http.createServer((req, res) => void g.handle(req, res));
    g.wss = new WebSocketServer({ noServer: true });
    g.server.on("upgrade", (req, socket, head) => {
      if (new URL(req.url ?? "/", "http://x").pathname !== "/stream") {
        socket.destroy();
        return;
      }
      g.wss.handleUpgrade(req, socket, head, (ws) => g.onSocket(ws));
    });
    await new Promise<void>((resolve) => g.server.listen(opts.port ?? 0, "127.0.0.1", resolve));
    const { port } = g.server.address() as AddressInfo;
    g.url = `http://127.0.0.1:${port}`;
    g.streamUrl = `ws://127.0.0.1:${port}/stream`;
    return g;
  }

  async close(): Promise<void> {
    for (const c of this.clients) c.ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ------------------------------------------------------------------ admin (not Alpaca's API)

  /**
   * Opens a paper account (idempotent) and issues an API key for it: a random one, or the
   * one given (a gateway restarted with the same keys serves the same accounts).
   */
  async openAccount(
    accountId: string,
    cash: string,
    given?: { keyId: string; secretKey: string },
  ): Promise<Key> {
    await this.opts.paper.openAccount({ accountId, cash });
    const key: Key = {
      keyId: given?.keyId ?? `PK${randomBytes(9).toString("hex").toUpperCase()}`,
      secretKey: given?.secretKey ?? randomBytes(20).toString("base64url"),
      accountId,
    };
    this.keys.set(key.keyId, key);
    return key;
  }

  setAccountFlags(accountId: string, flags: { tradingBlocked?: boolean; status?: string }): void {
    this.flags.set(accountId, { ...this.flags.get(accountId), ...flags });
  }

  injectFault(accountId: string, kind: GatewayFault, count: number): void {
    const m = this.faults.get(accountId) ?? new Map<GatewayFault, number>();
    m.set(kind, (m.get(kind) ?? 0) + count);
    this.faults.set(accountId, m);
  }

  private take(accountId: string, kind: GatewayFault): boolean {
    const m = this.faults.get(accountId);
    const n = m?.get(kind) ?? 0;
    if (n <= 0) return false;
    m!.set(kind, n - 1);
    return true;
  }

  /**
   * Stream messages for whatever the paper broker did meanwhile on every account with a key
   * (in dev the worker's feed fills resting limit orders of these accounts too).
   */
  async pumpAll(): Promise<void> {
    const accounts = new Set([...this.keys.values()].map((k) => k.accountId));
    for (const a of accounts) await this.pump(a);
  }

  /** A quote into the paper broker, and the stream messages of whatever it filled. */
  async setQuote(symbol: string, bid: string, ask: string, at: Date): Promise<void> {
    await this.opts.paper.onQuote({ symbol, bid, ask, at });
    const accounts = new Set([...this.keys.values()].map((k) => k.accountId));
    for (const a of accounts) await this.pump(a);
  }

  // ------------------------------------------------------------------ HTTP

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const method = (req.method ?? "GET").toUpperCase();
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    let body: unknown;
    if (raw) {
      try {
        body = JSON.parse(raw) as unknown;
      } catch {
        return this.write(res, refuse(400, 40010000, "request body is not valid JSON"));
      }
    }
    const pathname = decodeURIComponent(url.pathname);
    const query = Object.fromEntries(url.searchParams.entries());
    if (this.opts.admin && method === "POST" && pathname === "/local/accounts")
      return this.write(res, await this.adminOpen(body));
    const op = this.spec.operation(method, url.pathname);
    if (!op) return this.write(res, refuse(404, 40410000, "endpoint not found"));
    const headers = Object.fromEntries(
      Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(",") : (v ?? "")]),
    );
    const reqErrors = this.spec.validateRequest({
      method,
      path: url.pathname,
      query,
      headers,
      body,
    });
    if (reqErrors.length) {
      this.violations.push({ where: `request ${method} ${url.pathname}`, errors: reqErrors });
      if (this.opts.strict)
        return this.write(
          res,
          refuse(422, 42210000, `request does not match the API: ${reqErrors[0]}`),
        );
    }
    const key = this.keys.get(String(req.headers["apca-api-key-id"] ?? ""));
    if (!key || key.secretKey !== req.headers["apca-api-secret-key"])
      return this.write(res, refuse(401, 40110000, "request is not authorized"));
    this.requests.push(`${method} ${op.operationId ?? url.pathname}`);
    let answer: HttpAnswer | "drop" | "hang";
    try {
      const limited = this.rateLimit(key.accountId);
      answer = limited ?? (await this.route(key.accountId, method, pathname, query, body));
    } catch (e) {
      answer = refuse(500, 50010000, `internal server error: ${(e as Error).message}`);
    }
    if (answer === "hang") {
      // Accepted, and the answer never comes: the client's timeout decides (unknown outcome).
      req.socket.setTimeout(60_000, () => req.socket.destroy());
      return;
    }
    if (answer === "drop") {
      // The order was accepted; the answer never arrives (a connection lost mid-flight).
      req.socket.destroy();
      return;
    }
    if (answer.status >= 200 && answer.status < 300 && answer.body !== undefined) {
      const errors = this.spec.validateResponse(op, answer.status, answer.body);
      if (errors.length) {
        this.violations.push({ where: `response ${method} ${url.pathname}`, errors });
        if (this.opts.strict)
          answer = refuse(500, 50010000, `gateway drift from the API: ${errors[0]}`);
      }
    }
    this.write(res, answer);
  }

  /** `POST /local/accounts {cash?, tradingBlocked?}` → a new account and its API key. */
  private async adminOpen(body: unknown): Promise<HttpAnswer> {
    const b = (body ?? {}) as { cash?: unknown; tradingBlocked?: unknown };
    const cash =
      typeof b.cash === "string" && /^\d{1,12}(\.\d{1,2})?$/.test(b.cash) ? b.cash : "100000";
    const accountId = `alpaca-local-${randomBytes(6).toString("hex")}`;
    const k = await this.openAccount(accountId, cash, this.opts.admin!.keyFor(accountId));
    if (b.tradingBlocked === true) this.setAccountFlags(accountId, { tradingBlocked: true });
    return new HttpAnswer(201, {
      account_id: accountId,
      key_id: k.keyId,
      secret_key: k.secretKey,
      cash,
    });
  }

  private rateLimit(accountId: string): HttpAnswer | null {
    const limit = this.opts.rateLimitPerMinute ?? 200;
    const now = Date.now();
    const b = this.budget.get(accountId) ?? { windowStart: now, used: 0 };
    if (now - b.windowStart >= 60_000) {
      b.windowStart = now;
      b.used = 0;
    }
    b.used += 1;
    this.budget.set(accountId, b);
    const reset = Math.ceil((b.windowStart + 60_000) / 1000);
    const headers = {
      "X-RateLimit-Limit": String(limit),
      "X-RateLimit-Remaining": String(Math.max(0, limit - b.used)),
      "X-RateLimit-Reset": String(reset),
    };
    const burst = this.take(accountId, "http_429_burst");
    if (burst || b.used > limit)
      return new HttpAnswer(
        429,
        { code: 42910000, message: "rate limit exceeded" },
        {
          ...headers,
          "X-RateLimit-Remaining": "0",
          // An injected burst is short: the budget is back within a second or two.
          ...(burst ? { "X-RateLimit-Reset": String(Math.ceil(now / 1000) + 1) } : {}),
        },
      );
    return null;
  }

  private write(res: http.ServerResponse, a: HttpAnswer): void {
    const headers: Record<string, string> = { ...a.headers };
    if (a.body !== undefined) headers["content-type"] = "application/json";
    res.writeHead(a.status, headers);
    res.end(a.body === undefined ? undefined : JSON.stringify(a.body));
  }

  private async route(
    accountId: string,
    method: string,
    path: string,
    q: Record<string, string>,
    body: unknown,
  ): Promise<HttpAnswer | "drop" | "hang"> {
    const paper = this.opts.paper;
    if (method === "GET" && path === "/v2/account")
      return new HttpAnswer(200, await this.account(accountId));
    if (method === "GET" && path.startsWith("/v2/assets/")) {
      const asset = await this.asset(path.slice("/v2/assets/".length));
      return asset ? new HttpAnswer(200, asset) : refuse(404, 40410000, "asset not found");
    }
    if (method === "POST" && path === "/v2/orders")
      return this.placeOrder(accountId, body as Record<string, string>);
    if (method === "GET" && path === "/v2/orders")
      return new HttpAnswer(200, await this.listOrders(accountId, q));
    if (method === "GET" && path === "/v2/orders:by_client_order_id") {
      const o = await paper.getOrder(accountId, q.client_order_id ?? "");
      // Alpaca keeps no order for a refused request; the paper broker records one.
      if (!o || o.status === "rejected") return refuse(404, 40410000, "order not found");
      return new HttpAnswer(200, await this.order(o));
    }
    const m = /^\/v2\/orders\/([0-9a-f-]{36})$/.exec(path);
    if (m) {
      const ref = this.orderByUuid.get(m[1]!);
      const o =
        ref && ref.accountId === accountId
          ? await paper.getOrder(accountId, ref.clientOrderId)
          : null;
      if (!o || o.status === "rejected") return refuse(404, 40410000, "order not found");
      if (method === "GET") return new HttpAnswer(200, await this.order(o));
      if (method === "DELETE") {
        if (o.status !== "accepted" && o.status !== "partially_filled")
          return refuse(422, 42210000, `order is already in "${STATUS[o.status]}" state`);
        await paper.cancelOrder(accountId, o.clientOrderId);
        await this.pump(accountId);
        return new HttpAnswer(204);
      }
    }
    if (method === "GET" && path === "/v2/positions")
      return new HttpAnswer(200, await this.positions(accountId));
    if (method === "GET" && path === "/v2/account/activities/FILL")
      return new HttpAnswer(200, page(await this.fillActivities(accountId), q));
    if (method === "GET" && path === "/v2/account/activities/CFEE")
      return new HttpAnswer(200, page(await this.feeActivities(accountId), q));
    return refuse(404, 40410000, "not served by the local gateway");
  }

  // ------------------------------------------------------------------ orders

  private async placeOrder(
    accountId: string,
    b: Record<string, string>,
  ): Promise<HttpAnswer | "drop" | "hang"> {
    const paper = this.opts.paper;
    if (this.take(accountId, "order_429")) {
      return new HttpAnswer(
        429,
        { code: 42910000, message: "rate limit exceeded" },
        {
          "X-RateLimit-Limit": String(this.opts.rateLimitPerMinute ?? 200),
          "X-RateLimit-Remaining": "0",
          "X-RateLimit-Reset": String(Math.ceil(Date.now() / 1000) + 1),
        },
      );
    }
    if (this.take(accountId, "order_500")) return refuse(500, 50010000, "internal server error");
    if (this.take(accountId, "order_reject"))
      return refuse(422, 42210000, "order refused by fault injection (INJECTED_REJECT)");
    if (this.flags.get(accountId)?.tradingBlocked)
      return refuse(403, 40310000, "trading is blocked for this account");
    const symbol = await this.symbols.ourSymbol(b.symbol ?? "");
    if (!symbol) return refuse(422, 42210000, `asset "${b.symbol}" not found`);
    const cid = b.client_order_id ?? uuidOf(randomBytes(8).toString("hex"));
    const existing = await paper.getOrder(accountId, cid);
    if (existing && existing.status !== "rejected")
      return refuse(422, 40010001, "client_order_id must be unique");
    const dropAfter = this.take(accountId, "order_drop_after_accept");
    const failAfter = this.take(accountId, "order_500_after_accept");
    const hangAfter = this.take(accountId, "order_hang_after_accept");
    let order: BrokerOrder;
    try {
      order = await paper.placeOrder({
        accountId,
        clientOrderId: cid,
        symbol,
        side: b.side as "buy" | "sell",
        type: b.type === "limit" ? "limit" : "market",
        qty: b.qty ?? "",
        ...(b.limit_price !== undefined ? { limitPrice: b.limit_price } : {}),
      });
    } catch (e) {
      if (e instanceof BrokerRejectedError) return this.refusal(e, symbol, b);
      throw e;
    }
    await this.pump(accountId);
    if (dropAfter) return "drop";
    if (failAfter) return refuse(500, 50010000, "internal server error");
    if (hangAfter) return "hang";
    return new HttpAnswer(200, await this.order(order));
  }

  /** The paper broker's reasons in the words Alpaca uses for them. */
  private async refusal(
    e: BrokerRejectedError,
    symbol: string,
    b: Record<string, string>,
  ): Promise<HttpAnswer> {
    const inst = await this.symbols.instrument(symbol);
    switch (e.reason) {
      case "INSUFFICIENT_BUYING_POWER":
        return refuse(403, 40310000, "insufficient buying power");
      case "QTY_NOT_ON_STEP":
        return refuse(
          422,
          42210000,
          `qty must be a multiple of the min_trade_increment ${inst?.qtyStep}`,
        );
      case "BELOW_MIN_QTY":
        return refuse(422, 42210000, `qty must be >= ${inst?.minQty}`);
      case "BELOW_MIN_NOTIONAL":
        return refuse(422, 42210000, `cost basis must be >= ${inst?.minNotional}`);
      case "PRICE_OFF_TICK":
        return refuse(
          422,
          42210000,
          `invalid limit_price ${b.limit_price}. sub-penny increment does not fulfill minimum pricing criteria`,
        );
      case "MARKET_CLOSED":
        return refuse(422, 42210000, `market is closed for ${b.symbol}`);
      case "UNKNOWN_SYMBOL":
        return refuse(422, 42210000, `asset "${b.symbol}" not found`);
      case "NO_QUOTE":
        return refuse(422, 42210000, `no available quote for ${b.symbol}`);
      default:
        return refuse(422, 42210000, e.message);
    }
  }

  private async instrumentOf(symbol: string): Promise<CatalogueInstrument | null> {
    return this.symbols.instrument(symbol);
  }

  private async alpacaSymbol(symbol: string, forPosition = false): Promise<string> {
    const bs = (await this.symbols.brokerSymbol(symbol)) ?? symbol;
    return forPosition ? compact(bs) : bs;
  }

  private async order(
    o: BrokerOrder,
    at?: { filledQty: string; avgPrice: string | null; status: string },
  ) {
    const inst = await this.instrumentOf(o.symbol);
    const id = uuidOf(`${o.accountId}/${o.brokerOrderId}`);
    this.orderByUuid.set(id, { accountId: o.accountId, clientOrderId: o.clientOrderId });
    const crypto = inst?.assetClass === "crypto";
    const status = at?.status ?? o.status;
    const t = iso(o.updatedAt);
    return {
      id,
      client_order_id: o.clientOrderId,
      created_at: iso(o.createdAt),
      updated_at: t,
      submitted_at: iso(o.createdAt),
      filled_at: status === "filled" ? t : null,
      expired_at: null,
      canceled_at: status === "cancelled" ? t : null,
      failed_at: null,
      replaced_at: null,
      replaced_by: null,
      replaces: null,
      asset_id: uuidOf(`asset/${o.symbol}`),
      symbol: await this.alpacaSymbol(o.symbol),
      asset_class: crypto ? "crypto" : "us_equity",
      notional: null,
      qty: o.qty,
      filled_qty: at?.filledQty ?? o.filledQty,
      filled_avg_price: at ? at.avgPrice : o.avgPrice,
      order_class: "simple",
      order_type: o.type,
      type: o.type,
      side: o.side,
      time_in_force: crypto ? "gtc" : "day",
      limit_price: o.limitPrice,
      stop_price: null,
      status: STATUS[status] ?? "new",
      extended_hours: false,
      legs: null,
      trail_percent: null,
      trail_price: null,
      hwm: null,
      position_intent: o.side === "buy" ? "buy_to_open" : "sell_to_close",
    };
  }

  private async listOrders(accountId: string, q: Record<string, string>) {
    const status = q.status ?? "open";
    const states =
      status === "open"
        ? ["accepted", "partially_filled"]
        : status === "closed"
          ? ["filled", "cancelled", "expired"]
          : ["accepted", "partially_filled", "filled", "cancelled", "expired"];
    const rows = await this.opts.db
      .select()
      .from(paperOrders)
      .where(and(eq(paperOrders.accountId, accountId), inArray(paperOrders.status, states)))
      .orderBy(asc(paperOrders.createdAt), asc(paperOrders.id));
    let orders = rows.map(paperRowToOrder);
    if (q.after) orders = orders.filter((o) => o.createdAt > new Date(q.after!));
    if (q.until) orders = orders.filter((o) => o.createdAt < new Date(q.until!));
    if (q.direction !== "asc") orders.reverse();
    orders = orders.slice(0, Math.min(500, Number(q.limit ?? 50)));
    const out = [];
    for (const o of orders) out.push(await this.order(o));
    return out;
  }

  // ------------------------------------------------------------------ account, positions, assets

  private async account(accountId: string) {
    const a = await this.opts.paper.getAccount(accountId);
    const f = this.flags.get(accountId) ?? {};
    return {
      id: uuidOf(`account/${accountId}`),
      account_number: `PA${createHash("sha1").update(accountId).digest("hex").slice(0, 10).toUpperCase()}`,
      status: f.status ?? "ACTIVE",
      crypto_status: "ACTIVE",
      currency: a.currency,
      cash: a.cash,
      equity: a.equity,
      portfolio_value: a.equity,
      buying_power: a.buyingPower,
      non_marginable_buying_power: a.buyingPower,
      pattern_day_trader: false,
      trading_blocked: Boolean(f.tradingBlocked),
      transfers_blocked: false,
      account_blocked: false,
      trade_suspended_by_user: false,
      shorting_enabled: true,
      multiplier: "1",
      created_at: iso(new Date(0)),
    };
  }

  private async positions(accountId: string) {
    const ps = await this.opts.paper.getPositions(accountId);
    const qs = ps.length
      ? await this.opts.db
          .select()
          .from(quotes)
          .where(
            inArray(
              quotes.symbol,
              ps.map((p) => p.symbol),
            ),
          )
      : [];
    const out = [];
    for (const p of ps) {
      const inst = await this.instrumentOf(p.symbol);
      const q = qs.find((x) => x.symbol === p.symbol);
      const mult = D(inst?.multiplier ?? "1");
      const price = q ? D(q.bid).plus(q.ask).div(2) : D(p.avgCost);
      const value = D(p.qty).times(price).times(mult);
      const cost = D(p.qty).times(p.avgCost).times(mult);
      const pl = value.minus(cost);
      const crypto = inst?.assetClass === "crypto";
      out.push({
        asset_id: uuidOf(`asset/${p.symbol}`),
        symbol: await this.alpacaSymbol(p.symbol, true),
        exchange: crypto ? "CRYPTO" : "NASDAQ",
        asset_class: crypto ? "crypto" : "us_equity",
        asset_marginable: !crypto,
        avg_entry_price: p.avgCost,
        qty: p.qty,
        qty_available: p.qty,
        side: D(p.qty).lt(0) ? "short" : "long",
        market_value: fmt(value),
        cost_basis: fmt(cost),
        unrealized_pl: fmt(pl),
        unrealized_plpc: cost.isZero() ? "0" : fmt(pl.div(cost.abs()).toDecimalPlaces(10)),
        unrealized_intraday_pl: fmt(pl),
        unrealized_intraday_plpc: cost.isZero() ? "0" : fmt(pl.div(cost.abs()).toDecimalPlaces(10)),
        current_price: fmt(price),
        lastday_price: fmt(price),
        change_today: "0",
      });
    }
    return out;
  }

  private async asset(symbolOrId: string) {
    const ours = await this.symbols.ourSymbol(symbolOrId);
    const inst = ours ? await this.instrumentOf(ours) : null;
    if (!ours || !inst) return null;
    const crypto = inst.assetClass === "crypto";
    return {
      id: uuidOf(`asset/${ours}`),
      class: crypto ? "crypto" : "us_equity",
      exchange: crypto ? "CRYPTO" : "NASDAQ",
      symbol: await this.alpacaSymbol(ours),
      name: inst.name,
      status: "active",
      tradable: true,
      marginable: !crypto,
      shortable: true,
      easy_to_borrow: true,
      fractionable: !D(inst.qtyStep).isInteger(),
      min_order_size: inst.minQty,
      min_trade_increment: inst.qtyStep,
      price_increment: inst.tickSize,
      attributes: [],
    };
  }

  // ------------------------------------------------------------------ activities

  private async fillsWithCum(accountId: string) {
    const fills = await this.opts.paper.listFills(accountId);
    const cum = new Map<string, Decimal>();
    const orders = new Map<string, BrokerOrder>();
    const out: Array<{ f: BrokerFill; cum: string; order: BrokerOrder }> = [];
    for (const f of fills) {
      const c = (cum.get(f.brokerOrderId) ?? D(0)).plus(f.qty);
      cum.set(f.brokerOrderId, c);
      let o = orders.get(f.brokerOrderId);
      if (!o) {
        o = (await this.opts.paper.getOrder(accountId, f.clientOrderId))!;
        orders.set(f.brokerOrderId, o);
      }
      out.push({ f, cum: fmt(c), order: o });
    }
    return out;
  }

  private async fillActivities(accountId: string): Promise<Activity[]> {
    const all: Activity[] = [];
    for (const { f, cum, order } of await this.fillsWithCum(accountId)) {
      const inst = await this.instrumentOf(f.symbol);
      const crypto = inst?.assetClass === "crypto";
      const done = D(cum).gte(order.qty);
      all.push({
        id: `${activityStamp(f.at)}::${uuidOf(`trade/${f.tradeId}`)}`,
        activity_type: "FILL",
        transaction_time: iso(f.at),
        type: done ? "fill" : "partial_fill",
        price: f.price,
        qty: f.qty,
        side: f.side,
        symbol: await this.alpacaSymbol(f.symbol, crypto),
        leaves_qty: fmt(D(order.qty).minus(cum)),
        order_id: uuidOf(`${accountId}/${order.brokerOrderId}`),
        cum_qty: cum,
        order_status: done ? "filled" : "partially_filled",
        at: f.at,
      });
      this.orderByUuid.set(uuidOf(`${accountId}/${order.brokerOrderId}`), {
        accountId,
        clientOrderId: order.clientOrderId,
      });
    }
    return all;
  }

  /**
   * The paper broker's commissions as Alpaca's crypto fees: one CFEE non-trade activity per
   * fill that paid one, in cash (net_amount negative, USD), linked to its order by
   * `group_id` (the order's id: its FILL activities and this fee are siblings). Alpaca
   * posts fees later, "typically the day after the trade"; the gateway posts them with the
   * fill, since the paper broker's cash already paid them then.
   */
  private async feeActivities(accountId: string): Promise<Activity[]> {
    const all: Activity[] = [];
    for (const { f, order } of await this.fillsWithCum(accountId)) {
      if (D(f.commission).isZero()) continue;
      const inst = await this.instrumentOf(f.symbol);
      all.push({
        id: `${activityStamp(f.at)}::${uuidOf(`fee/${f.tradeId}`)}`,
        activity_type: "CFEE",
        date: iso(f.at),
        created_at: iso(f.at),
        net_amount: fmt(D(f.commission).neg()),
        currency: inst?.currency ?? "USD",
        symbol: await this.alpacaSymbol(f.symbol, inst?.assetClass === "crypto"),
        group_id: uuidOf(`${accountId}/${order.brokerOrderId}`),
        status: "executed",
        at: f.at,
      });
    }
    return all;
  }

  // ------------------------------------------------------------------ stream

  private onSocket(ws: WebSocket): void {
    const c: Client = { ws, accountId: null, listening: false };
    this.clients.add(c);
    ws.on("close", () => this.clients.delete(c));
    ws.on("message", (raw: WebSocket.RawData) => {
      let m: { action?: string; key?: string; secret?: string; data?: { streams?: string[] } };
      try {
        m = JSON.parse(raw.toString()) as typeof m;
      } catch {
        this.send(ws, { action: "error", data: { error_message: "invalid syntax" } });
        return;
      }
      if (m.action === "auth" || m.action === "authenticate") {
        const k = this.keys.get(m.key ?? "");
        const ok = Boolean(k && k.secretKey === m.secret);
        if (ok) c.accountId = k!.accountId;
        this.send(ws, {
          stream: "authorization",
          data: { status: ok ? "authorized" : "unauthorized", action: "authenticate" },
        });
        return;
      }
      if (m.action === "listen") {
        if (!c.accountId) {
          this.send(ws, {
            stream: "authorization",
            data: { status: "unauthorized", action: "listen" },
          });
          return;
        }
        const streams = (m.data?.streams ?? []).filter((s) => s === "trade_updates");
        c.listening = streams.length > 0;
        this.send(ws, { stream: "listening", data: { streams } });
      }
    });
  }

  private send(ws: WebSocket, msg: unknown): void {
    // Binary frames, as Alpaca's paper stream sends them.
    if (ws.readyState === WebSocket.OPEN) ws.send(Buffer.from(JSON.stringify(msg)));
  }

  /** New paper events of the account → trade_updates messages (with the stream faults). */
  private pump(accountId: string): Promise<void> {
    const prev = this.pumping.get(accountId) ?? Promise.resolve();
    const next = prev.then(() => this.pumpNow(accountId));
    this.pumping.set(
      accountId,
      next.catch(() => {}),
    );
    return next;
  }

  private async pumpNow(accountId: string): Promise<void> {
    const events = await this.opts.paper.readEvents(
      accountId,
      this.cursor.get(accountId) ?? 0,
      10_000,
    );
    if (!events.length) return;
    this.cursor.set(
      accountId,
      Math.max(this.cursor.get(accountId) ?? 0, ...events.map((e) => e.seq)),
    );
    const fills = events.some((e) => e.fill) ? await this.fillsWithCum(accountId) : [];
    for (const e of events) {
      const msg = await this.update(e, fills);
      if (!msg) continue;
      const targets = [...this.clients].filter((c) => c.accountId === accountId && c.listening);
      if (e.fill && this.take(accountId, "stream_disconnect_mid_fill")) {
        for (const t of targets) t.ws.terminate();
        continue;
      }
      if (this.take(accountId, "stream_drop")) continue;
      const times = this.take(accountId, "stream_duplicate") ? 2 : 1;
      for (let i = 0; i < times; i++) for (const t of targets) this.send(t.ws, msg);
    }
  }

  private async update(
    e: BrokerOrderEvent,
    fills: Array<{ f: BrokerFill; cum: string; order: BrokerOrder }>,
  ) {
    const event = EVENT[e.type];
    if (!event) return null; // a refused order: Alpaca streams nothing for it
    const o = await this.opts.paper.getOrder(e.accountId, e.clientOrderId);
    if (!o) return null;
    // The order as it stood after this event, not as it stands now.
    const upTo = fills.filter(
      (x) => x.order.brokerOrderId === o.brokerOrderId && D(x.cum).lte(e.filledQty),
    );
    const qty = upTo.reduce((a, x) => a.plus(x.f.qty), D(0));
    const avg = qty.isZero()
      ? null
      : fmt(upTo.reduce((a, x) => a.plus(D(x.f.qty).times(x.f.price)), D(0)).div(qty));
    const order = await this.order(o, { filledQty: e.filledQty, avgPrice: avg, status: e.type });
    const data: Record<string, unknown> = {
      event,
      event_id: uuidOf(`event/${e.accountId}/${e.seq}`),
      at: iso(e.at),
      timestamp: iso(e.fill?.at ?? e.at),
      order,
    };
    if (e.fill) {
      const pos = (await this.opts.paper.getPositions(e.accountId)).find(
        (p) => p.symbol === o.symbol,
      );
      data.execution_id = uuidOf(`trade/${e.fill.tradeId}`);
      data.price = e.fill.price;
      data.qty = e.fill.qty;
      data.position_qty = pos?.qty ?? "0";
    }
    return { stream: "trade_updates", data };
  }
}

type Decimal = ReturnType<typeof D>;
