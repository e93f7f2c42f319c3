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
} from "../../server/brokers/types";
import { D, fmt } from "../../server/domain/money";

/**
 * A broker that accepts and fills every order at once, in memory, at a fixed price per
 * symbol and no commission: `bench:fanout-engine` runs the engine against it so that the
 * engine's own cost is seen apart from the paper broker's (which writes its own rows).
 * Benchmarks only — it keeps no cash limits, no faults, no persistence.
 */
export class MemoryBroker implements BrokerAdapter {
  readonly name = "paper";
  private readonly orders = new Map<string, BrokerOrder>();
  private readonly events = new Map<string, BrokerOrderEvent[]>();
  private readonly fills = new Map<string, BrokerFill[]>();
  private readonly positions = new Map<string, Map<string, string>>();
  private seqNo = 0;

  constructor(
    private readonly prices: Map<string, string>,
    private readonly now: () => Date = () => new Date(),
  ) {}

  openAccount(accountId: string): void {
    this.events.set(accountId, []);
  }

  async placeOrder(req: OrderRequest): Promise<BrokerOrder> {
    const r = this.place(req);
    if (!r.ok) throw r.error;
    return r.order;
  }

  async placeOrders(reqs: OrderRequest[]): Promise<PlaceOrderResult[]> {
    return reqs.map((r) => this.place(r));
  }

  private place(req: OrderRequest): PlaceOrderResult {
    const evs = this.events.get(req.accountId);
    if (!evs) return { ok: false, error: new BrokerNotFoundError(`no account ${req.accountId}`) };
    const key = `${req.accountId}|${req.clientOrderId}`;
    const existing = this.orders.get(key);
    if (existing) return { ok: true, order: existing };
    const price = req.limitPrice ?? this.prices.get(req.symbol) ?? "100";
    const at = this.now();
    const brokerOrderId = `mem-${++this.seqNo}`;
    const order: BrokerOrder = {
      brokerOrderId,
      clientOrderId: req.clientOrderId,
      accountId: req.accountId,
      symbol: req.symbol,
      side: req.side,
      type: req.type,
      qty: req.qty,
      limitPrice: req.limitPrice ?? null,
      status: "filled",
      filledQty: req.qty,
      avgPrice: price,
      rejectReason: null,
      createdAt: at,
      updatedAt: at,
    };
    this.orders.set(key, order);
    const fill: BrokerFill = {
      tradeId: `${brokerOrderId}-t1`,
      brokerOrderId,
      clientOrderId: req.clientOrderId,
      accountId: req.accountId,
      symbol: req.symbol,
      side: req.side,
      qty: req.qty,
      price,
      commission: "0",
      at,
    };
    const list = this.fills.get(req.accountId) ?? [];
    list.push(fill);
    this.fills.set(req.accountId, list);
    const held = this.positions.get(req.accountId) ?? new Map<string, string>();
    const signed = req.side === "buy" ? D(req.qty) : D(req.qty).neg();
    held.set(req.symbol, fmt(D(held.get(req.symbol) ?? "0").plus(signed)));
    this.positions.set(req.accountId, held);
    evs.push({
      seq: evs.length + 1,
      accountId: req.accountId,
      type: "filled",
      clientOrderId: req.clientOrderId,
      brokerOrderId,
      symbol: req.symbol,
      side: req.side,
      filledQty: req.qty,
      at,
      fill,
    });
    return { ok: true, order };
  }

  async cancelOrder(accountId: string, clientOrderId: string): Promise<BrokerOrder> {
    const o = this.orders.get(`${accountId}|${clientOrderId}`);
    if (!o) throw new BrokerNotFoundError(`no order ${clientOrderId}`);
    return o; // every order is filled at once: cancelling a terminal order changes nothing
  }

  async getOrder(accountId: string, clientOrderId: string): Promise<BrokerOrder | null> {
    return this.orders.get(`${accountId}|${clientOrderId}`) ?? null;
  }

  async listOpenOrders(): Promise<BrokerOrder[]> {
    return [];
  }

  async listFills(
    accountId: string,
    opts: { since?: Date; clientOrderId?: string } = {},
  ): Promise<BrokerFill[]> {
    return (this.fills.get(accountId) ?? []).filter(
      (f) =>
        (!opts.clientOrderId || f.clientOrderId === opts.clientOrderId) &&
        (!opts.since || f.at >= opts.since),
    );
  }

  async getPositions(accountId: string): Promise<BrokerPosition[]> {
    return [...(this.positions.get(accountId) ?? new Map<string, string>())].map(
      ([symbol, qty]) => ({ symbol, qty, avgCost: this.prices.get(symbol) ?? "0" }),
    );
  }

  async getAccount(accountId: string): Promise<BrokerAccount> {
    if (!this.events.has(accountId)) throw new BrokerNotFoundError(`no account ${accountId}`);
    return { accountId, currency: "USD", cash: "0", equity: "0", buyingPower: "0" };
  }

  async readEvents(accountId: string, afterSeq: number, limit = 100): Promise<BrokerOrderEvent[]> {
    const evs = this.events.get(accountId);
    if (!evs) throw new BrokerNotFoundError(`no account ${accountId}`);
    return evs.slice(afterSeq, afterSeq + limit);
  }

  async readEventsMany(
    cursors: Array<{ accountId: string; afterSeq: number }>,
    limitPerAccount = 100,
  ): Promise<Map<string, BrokerOrderEvent[]>> {
    const out = new Map<string, BrokerOrderEvent[]>();
    for (const c of cursors)
      out.set(c.accountId, await this.readEvents(c.accountId, c.afterSeq, limitPerAccount));
    return out;
  }
}
