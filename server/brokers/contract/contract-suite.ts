import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { D, fmt, roundToTick } from "../../domain/money";
import {
  BrokerError,
  BrokerRateLimitedError,
  BrokerRejectedError,
  BrokerTransientError,
  BrokerUnknownOutcomeError,
  type BrokerAdapter,
  type BrokerFill,
  type BrokerOrderEvent,
  type OrderRequest,
} from "../types";

/**
 * The behaviour every BrokerAdapter must have, as a vitest suite. Run it against the paper
 * broker now and against each real adapter (on its sandbox) later:
 *
 *   brokerContract("paper", async () => makePaperHarness());
 *
 * The harness supplies the adapter plus the hooks a sandbox needs to stage a scenario.
 */

export type FaultKind =
  | "error_before_accept"
  | "timeout_after_accept"
  | "reject"
  | "rate_limited"
  | "duplicate_events"
  | "drop_events";

export type InstrumentSpec = {
  symbol: string;
  tickSize: string;
  qtyStep: string;
  /** Must be larger than qtyStep (the suite tests BELOW_MIN_QTY with minQty − step). */
  minQty: string;
  minNotional: string;
  multiplier: string;
};

export type Harness = {
  adapter: BrokerAdapter;
  /** A fresh account holding `cash`, with no positions or orders. Returns its id. */
  openAccount(cash: string): Promise<string>;
  /** A tradable instrument (24/7 in the sandbox), and one with a multiplier > 1. */
  main: InstrumentSpec;
  future: InstrumentSpec;
  /** An instrument whose market is closed now, and one that has never been quoted. */
  closedSymbol: string;
  unquotedSymbol: string;
  setQuote(symbol: string, bid: string, ask: string): Promise<void>;
  setLiquidity(symbol: string, maxFillQty: string | null): Promise<void>;
  injectFault(accountId: string, kind: FaultKind, count: number): Promise<void>;
  close(): Promise<void>;
};

let idCounter = 0;
/** Unique client ids per test run, so a shared sandbox never sees a reused id. */
export function newClientOrderId(label = "c"): string {
  idCounter += 1;
  return `${label}-${process.pid}-${idCounter}`;
}

/** Reads the whole visible stream the way a consumer must: cursor = highest seq seen. */
export async function drainEvents(
  adapter: BrokerAdapter,
  accountId: string,
  pageSize = 50,
): Promise<BrokerOrderEvent[]> {
  const out: BrokerOrderEvent[] = [];
  let cursor = 0;
  for (let guard = 0; guard < 10_000; guard++) {
    const page = await adapter.readEvents(accountId, cursor, pageSize);
    if (page.length === 0) return out;
    out.push(...page);
    cursor = Math.max(cursor, ...page.map((e) => e.seq));
  }
  throw new Error("readEvents never ran dry");
}

async function expectRejected(p: Promise<unknown>, reason: string): Promise<BrokerRejectedError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, `expected a rejection with ${reason}`).toBeInstanceOf(BrokerRejectedError);
  const r = err as BrokerRejectedError;
  expect(r.kind).toBe("rejected");
  expect(r.reason).toBe(reason);
  return r;
}

async function caught(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error("expected the call to fail");
    },
    (e: unknown) => e,
  );
}

function sum(xs: string[]): string {
  return fmt(xs.reduce((a, x) => a.plus(x), D(0)));
}

export function brokerContract(name: string, makeHarness: () => Promise<Harness>): void {
  describe(`broker contract: ${name}`, () => {
    let h: Harness;
    let broker: BrokerAdapter;
    beforeEach(async () => {
      h = await makeHarness();
      broker = h.adapter;
    });
    afterEach(async () => {
      await h.close();
    });

    const market = (
      accountId: string,
      side: "buy" | "sell",
      qty: string,
      symbol = h.main.symbol,
    ): OrderRequest => ({
      accountId,
      clientOrderId: newClientOrderId(),
      symbol,
      side,
      type: "market",
      qty,
    });

    it("fills a market buy at once at the ask and a market sell at the bid", async () => {
      const acct = await h.openAccount("100000");
      await h.setQuote(h.main.symbol, "100.00", "100.02");
      const buy = await broker.placeOrder(market(acct, "buy", "10"));
      expect(buy).toMatchObject({
        status: "filled",
        filledQty: "10",
        avgPrice: "100.02",
        accountId: acct,
      });
      const sell = await broker.placeOrder(market(acct, "sell", "4"));
      expect(sell).toMatchObject({ status: "filled", filledQty: "4", avgPrice: "100" });
      expect(await broker.getPositions(acct)).toEqual([
        { symbol: h.main.symbol, qty: "6", avgCost: "100.02" },
      ]);
      const events = await drainEvents(broker, acct);
      expect(events.map((e) => [e.type, e.clientOrderId])).toEqual([
        ["accepted", buy.clientOrderId],
        ["filled", buy.clientOrderId],
        ["accepted", sell.clientOrderId],
        ["filled", sell.clientOrderId],
      ]);
    });

    it("returns the existing order for a repeated clientOrderId and never creates a second one", async () => {
      const acct = await h.openAccount("100000");
      await h.setQuote(h.main.symbol, "100.00", "100.02");
      const req = market(acct, "buy", "10");
      const first = await broker.placeOrder(req);
      const again = await broker.placeOrder(req);
      // Even a different body under the same id is the same order: the id is the identity.
      const different = await broker.placeOrder({ ...req, qty: "20" });
      expect(again.brokerOrderId).toBe(first.brokerOrderId);
      expect(different.brokerOrderId).toBe(first.brokerOrderId);
      expect(different.qty).toBe("10");
      expect(await broker.listFills(acct, { clientOrderId: req.clientOrderId })).toHaveLength(1);
      expect(await broker.getPositions(acct)).toEqual([expect.objectContaining({ qty: "10" })]);

      const limit: OrderRequest = {
        ...market(acct, "buy", "5"),
        type: "limit",
        limitPrice: "90.00",
      };
      const l1 = await broker.placeOrder(limit);
      const l2 = await broker.placeOrder(limit);
      expect(l2.brokerOrderId).toBe(l1.brokerOrderId);
      expect((await broker.listOpenOrders(acct)).map((o) => o.clientOrderId)).toEqual([
        limit.clientOrderId,
      ]);
    });

    it("timeout_after_accept: the order exists; a retry with the same id returns it, with one set of fills", async () => {
      const acct = await h.openAccount("100000");
      await h.setQuote(h.main.symbol, "100.00", "100.02");
      await h.injectFault(acct, "timeout_after_accept", 1);
      const req = market(acct, "buy", "10");
      const err = await caught(broker.placeOrder(req));
      expect(err).toBeInstanceOf(BrokerUnknownOutcomeError);
      expect((err as BrokerError).kind).toBe("unknown_outcome");
      const seen = await broker.getOrder(acct, req.clientOrderId);
      expect(seen).toMatchObject({ status: "filled", filledQty: "10" });
      const retried = await broker.placeOrder(req);
      expect(retried.brokerOrderId).toBe(seen!.brokerOrderId);
      expect(await broker.listFills(acct, { clientOrderId: req.clientOrderId })).toHaveLength(1);
      expect(await broker.getPositions(acct)).toEqual([expect.objectContaining({ qty: "10" })]);
      const accepted = (await drainEvents(broker, acct)).filter((e) => e.type === "accepted");
      expect(accepted).toHaveLength(1);
    });

    it("error_before_accept: nothing happens, and a retry with the same id then succeeds", async () => {
      const acct = await h.openAccount("100000");
      await h.setQuote(h.main.symbol, "100.00", "100.02");
      await h.injectFault(acct, "error_before_accept", 2);
      const req = market(acct, "buy", "10");
      for (let i = 0; i < 2; i++) {
        const err = await caught(broker.placeOrder(req));
        expect(err).toBeInstanceOf(BrokerTransientError);
        expect((err as BrokerError).kind).toBe("transient");
        expect(await broker.getOrder(acct, req.clientOrderId)).toBeNull();
      }
      expect(await drainEvents(broker, acct)).toEqual([]);
      expect((await broker.getAccount(acct)).cash).toBe("100000");
      expect(await broker.placeOrder(req)).toMatchObject({ status: "filled" });
    });

    it("reject fault: a definitive INJECTED_REJECT, nothing created", async () => {
      const acct = await h.openAccount("100000");
      await h.setQuote(h.main.symbol, "100.00", "100.02");
      await h.injectFault(acct, "reject", 1);
      const req = market(acct, "buy", "10");
      await expectRejected(broker.placeOrder(req), "INJECTED_REJECT");
      expect(await broker.getOrder(acct, req.clientOrderId)).toBeNull();
      expect(await broker.getPositions(acct)).toEqual([]);
      expect(await drainEvents(broker, acct)).toEqual([]);
    });

    it("rate_limited: a 429 with retry-after, nothing created", async () => {
      const acct = await h.openAccount("100000");
      await h.setQuote(h.main.symbol, "100.00", "100.02");
      await h.injectFault(acct, "rate_limited", 1);
      const req = market(acct, "buy", "10");
      const err = await caught(broker.placeOrder(req));
      expect(err).toBeInstanceOf(BrokerRateLimitedError);
      expect((err as BrokerRateLimitedError).retryAfterMs).toBeGreaterThan(0);
      expect(await broker.getOrder(acct, req.clientOrderId)).toBeNull();
      expect((await broker.placeOrder(req)).status).toBe("filled");
    });

    it("duplicate_events: the next N order events are delivered twice, identical", async () => {
      const acct = await h.openAccount("100000");
      await h.setQuote(h.main.symbol, "100.00", "100.02");
      await h.injectFault(acct, "duplicate_events", 2);
      const first = await broker.placeOrder(market(acct, "buy", "10"));
      const second = await broker.placeOrder(market(acct, "buy", "5"));
      const events = await drainEvents(broker, acct);
      expect(events.map((e) => [e.seq, e.type])).toEqual([
        [1, "accepted"],
        [1, "accepted"],
        [2, "filled"],
        [2, "filled"],
        [3, "accepted"],
        [4, "filled"],
      ]);
      expect(events[0]).toEqual(events[1]);
      expect(events[2]).toEqual(events[3]);
      expect(events[2]!.fill!.tradeId).toBe(events[3]!.fill!.tradeId);
      expect(events[4]!.clientOrderId).toBe(second.clientOrderId);
      expect(events[0]!.clientOrderId).toBe(first.clientOrderId);
      // The truth is not duplicated.
      expect(await broker.listFills(acct)).toHaveLength(2);
    });

    it("drop_events: the next N order events are never delivered, but orders and fills show the truth", async () => {
      const acct = await h.openAccount("100000");
      await h.setQuote(h.main.symbol, "100.00", "100.02");
      await h.injectFault(acct, "drop_events", 2);
      const lost = await broker.placeOrder(market(acct, "buy", "10"));
      const seen = await broker.placeOrder(market(acct, "buy", "5"));
      const events = await drainEvents(broker, acct);
      // The seq gap (1, 2 missing) is how a consumer can tell that it lost events.
      expect(events.map((e) => [e.seq, e.type, e.clientOrderId])).toEqual([
        [3, "accepted", seen.clientOrderId],
        [4, "filled", seen.clientOrderId],
      ]);
      expect(await broker.getOrder(acct, lost.clientOrderId)).toMatchObject({
        status: "filled",
        filledQty: "10",
      });
      expect(await broker.listFills(acct, { clientOrderId: lost.clientOrderId })).toHaveLength(1);
    });

    describe("definitive rejections carry a stable reason and are not retried into acceptance", () => {
      type Case = { reason: string; stage: (acct: string) => Promise<OrderRequest> };
      const cases: Case[] = [
        {
          reason: "INSUFFICIENT_BUYING_POWER",
          stage: async (acct) => market(acct, "buy", fmt(D(h.main.minQty).times(1000))),
        },
        {
          reason: "QTY_NOT_ON_STEP",
          stage: async (acct) =>
            market(acct, "buy", fmt(D(h.main.minQty).plus(D(h.main.qtyStep).div(2)))),
        },
        {
          reason: "BELOW_MIN_QTY",
          stage: async (acct) => market(acct, "buy", fmt(D(h.main.minQty).minus(h.main.qtyStep))),
        },
        {
          reason: "BELOW_MIN_NOTIONAL",
          stage: async (acct) => {
            // A price at which minQty is worth a quarter of the minimum notional.
            const p = D(h.main.minNotional).div(D(h.main.minQty).times(h.main.multiplier)).div(4);
            const bid = roundToTick(p, h.main.tickSize, "down");
            await h.setQuote(h.main.symbol, fmt(bid), fmt(bid.plus(h.main.tickSize)));
            return market(acct, "buy", h.main.minQty);
          },
        },
        {
          reason: "PRICE_OFF_TICK",
          stage: async (acct) => ({
            ...market(acct, "buy", h.main.minQty),
            type: "limit",
            limitPrice: fmt(D("99").plus(D(h.main.tickSize).div(2))),
          }),
        },
        {
          reason: "MARKET_CLOSED",
          stage: async (acct) => market(acct, "buy", "1", h.closedSymbol),
        },
        {
          reason: "UNKNOWN_SYMBOL",
          stage: async (acct) => market(acct, "buy", "1", "NO-SUCH-SYMBOL"),
        },
        { reason: "NO_QUOTE", stage: async (acct) => market(acct, "buy", "1", h.unquotedSymbol) },
      ];
      for (const c of cases) {
        it(c.reason, async () => {
          const acct = await h.openAccount("1000");
          await h.setQuote(h.main.symbol, "100.00", "100.02");
          const req = await c.stage(acct);
          await expectRejected(broker.placeOrder(req), c.reason);
          const order = await broker.getOrder(acct, req.clientOrderId);
          // A broker may or may not keep a record of a rejected order; if it does, it says why.
          if (order)
            expect(order).toMatchObject({
              status: "rejected",
              rejectReason: c.reason,
              filledQty: "0",
            });
          await expectRejected(broker.placeOrder(req), c.reason);
          expect(await broker.getPositions(acct)).toEqual([]);
          expect((await broker.getAccount(acct)).cash).toBe("1000");
          expect(await broker.listFills(acct)).toEqual([]);
        });
      }
    });

    it("fills a large market order in parts across quotes under a liquidity limit", async () => {
      const acct = await h.openAccount("100000");
      await h.setQuote(h.main.symbol, "100.00", "100.02");
      await h.setLiquidity(h.main.symbol, "30");
      const req = market(acct, "buy", "100");
      const placed = await broker.placeOrder(req);
      expect(placed).toMatchObject({
        status: "partially_filled",
        filledQty: "30",
        avgPrice: "100.02",
      });
      expect((await broker.listOpenOrders(acct)).map((o) => o.clientOrderId)).toEqual([
        req.clientOrderId,
      ]);
      await h.setQuote(h.main.symbol, "100.10", "100.12");
      expect(await broker.getOrder(acct, req.clientOrderId)).toMatchObject({
        status: "partially_filled",
        filledQty: "60",
      });
      await h.setQuote(h.main.symbol, "100.20", "100.22");
      await h.setQuote(h.main.symbol, "100.30", "100.32");
      const done = await broker.getOrder(acct, req.clientOrderId);
      const fills = await broker.listFills(acct, { clientOrderId: req.clientOrderId });
      expect(fills.map((f) => [f.qty, f.price])).toEqual([
        ["30", "100.02"],
        ["30", "100.12"],
        ["30", "100.22"],
        ["10", "100.32"],
      ]);
      // 30×100.02 + 30×100.12 + 30×100.22 + 10×100.32 = 10014 → avg 100.14
      expect(done).toMatchObject({ status: "filled", filledQty: "100", avgPrice: "100.14" });
      expect(await broker.listOpenOrders(acct)).toEqual([]);
      const types = (await drainEvents(broker, acct)).map((e) => [e.type, e.filledQty]);
      expect(types).toEqual([
        ["accepted", "0"],
        ["partially_filled", "30"],
        ["partially_filled", "60"],
        ["partially_filled", "90"],
        ["filled", "100"],
      ]);
      // A later quote changes nothing.
      await h.setQuote(h.main.symbol, "100.40", "100.42");
      expect(await broker.listFills(acct)).toHaveLength(4);
    });

    it("rests a limit order until the price crosses, then fills no worse than the limit", async () => {
      const acct = await h.openAccount("100000");
      await h.setQuote(h.main.symbol, "100.00", "100.02");
      const req: OrderRequest = {
        ...market(acct, "buy", "10"),
        type: "limit",
        limitPrice: "99.50",
      };
      expect(await broker.placeOrder(req)).toMatchObject({
        status: "accepted",
        filledQty: "0",
        limitPrice: "99.5",
      });
      await h.setQuote(h.main.symbol, "99.49", "99.51");
      expect(await broker.getOrder(acct, req.clientOrderId)).toMatchObject({ status: "accepted" });
      expect(await broker.listFills(acct)).toEqual([]);
      await h.setQuote(h.main.symbol, "99.40", "99.45");
      expect(await broker.getOrder(acct, req.clientOrderId)).toMatchObject({
        status: "filled",
        avgPrice: "99.45",
      });

      const sell: OrderRequest = {
        ...market(acct, "sell", "10"),
        type: "limit",
        limitPrice: "101.00",
      };
      expect((await broker.placeOrder(sell)).status).toBe("accepted");
      await h.setQuote(h.main.symbol, "101.00", "101.02");
      expect(await broker.getOrder(acct, sell.clientOrderId)).toMatchObject({
        status: "filled",
        avgPrice: "101",
      });
      expect(await broker.getPositions(acct)).toEqual([]);
    });

    it("cancels a resting order; cancelling again changes nothing", async () => {
      const acct = await h.openAccount("100000");
      await h.setQuote(h.main.symbol, "100.00", "100.02");
      const req: OrderRequest = {
        ...market(acct, "buy", "10"),
        type: "limit",
        limitPrice: "90.00",
      };
      await broker.placeOrder(req);
      const cancelled = await broker.cancelOrder(acct, req.clientOrderId);
      expect(cancelled).toMatchObject({ status: "cancelled", filledQty: "0" });
      expect(await broker.listOpenOrders(acct)).toEqual([]);
      expect((await broker.cancelOrder(acct, req.clientOrderId)).status).toBe("cancelled");
      await h.setQuote(h.main.symbol, "89.00", "89.02");
      expect(await broker.listFills(acct)).toEqual([]);
      expect((await drainEvents(broker, acct)).map((e) => e.type)).toEqual([
        "accepted",
        "cancelled",
      ]);
      // Re-placing a cancelled id is still the same (cancelled) order.
      expect((await broker.placeOrder(req)).status).toBe("cancelled");
    });

    it("a cancel of a partially filled order keeps its fills and stops further fills", async () => {
      const acct = await h.openAccount("100000");
      await h.setQuote(h.main.symbol, "100.00", "100.02");
      await h.setLiquidity(h.main.symbol, "30");
      const req = market(acct, "buy", "100");
      await broker.placeOrder(req);
      const cancelled = await broker.cancelOrder(acct, req.clientOrderId);
      expect(cancelled).toMatchObject({ status: "cancelled", filledQty: "30", avgPrice: "100.02" });
      await h.setQuote(h.main.symbol, "100.10", "100.12");
      expect(await broker.listFills(acct)).toHaveLength(1);
      expect(await broker.getPositions(acct)).toEqual([expect.objectContaining({ qty: "30" })]);
      const last = (await drainEvents(broker, acct)).at(-1)!;
      expect(last).toMatchObject({ type: "cancelled", filledQty: "30" });
    });

    it("events are gapless and carry a unique tradeId per fill, the same as listFills", async () => {
      const acct = await h.openAccount("100000");
      await h.setQuote(h.main.symbol, "100.00", "100.02");
      await h.setLiquidity(h.main.symbol, "7");
      await broker.placeOrder(market(acct, "buy", "20"));
      const l: OrderRequest = { ...market(acct, "sell", "5"), type: "limit", limitPrice: "200.00" };
      await broker.placeOrder(l);
      await h.setQuote(h.main.symbol, "100.01", "100.03");
      await broker.cancelOrder(acct, l.clientOrderId);
      await h.setQuote(h.main.symbol, "100.02", "100.04");
      await broker.placeOrder(market(acct, "sell", "3"));
      const events = await drainEvents(broker, acct, 2);
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
      const tradeIds = events.flatMap((e) => (e.fill ? [e.fill.tradeId] : []));
      expect(new Set(tradeIds).size).toBe(tradeIds.length);
      const fills = await broker.listFills(acct);
      expect(fills.map((f) => f.tradeId).sort()).toEqual([...tradeIds].sort());
      for (const e of events)
        if (e.fill) expect(e.fill).toEqual(fills.find((f) => f.tradeId === e.fill!.tradeId));
    });

    it("positions and cash agree with the fills: cash = start − Σ signed qty×price×multiplier − Σ commission", async () => {
      const acct = await h.openAccount("1000000");
      await h.setQuote(h.main.symbol, "100.00", "100.02");
      await h.setQuote(h.future.symbol, "5000.00", "5000.25");
      await broker.placeOrder(market(acct, "buy", "10"));
      await broker.placeOrder(market(acct, "buy", "2", h.future.symbol));
      await h.setQuote(h.main.symbol, "101.00", "101.02");
      await broker.placeOrder(market(acct, "sell", "4"));
      await broker.placeOrder(market(acct, "buy", "6"));
      await h.setQuote(h.future.symbol, "4990.00", "4990.25");
      await broker.placeOrder(market(acct, "sell", "1", h.future.symbol));

      const fills = await broker.listFills(acct);
      const mult = (f: BrokerFill) =>
        f.symbol === h.future.symbol ? h.future.multiplier : h.main.multiplier;
      const signed = (f: BrokerFill) => (f.side === "buy" ? D(f.qty) : D(f.qty).neg());
      const expectedCash = fills.reduce(
        (c, f) => c.minus(signed(f).times(f.price).times(mult(f))).minus(f.commission),
        D("1000000"),
      );
      const account = await broker.getAccount(acct);
      expect(account.cash).toBe(fmt(expectedCash));
      expect(D(sum(fills.map((f) => f.commission))).gte(0)).toBe(true);
      const bySymbol = new Map<string, string>();
      for (const f of fills)
        bySymbol.set(f.symbol, fmt(D(bySymbol.get(f.symbol) ?? "0").plus(signed(f))));
      const positions = await broker.getPositions(acct);
      expect(Object.fromEntries(positions.map((p) => [p.symbol, p.qty]))).toEqual(
        Object.fromEntries(bySymbol),
      );
      expect(Object.fromEntries(bySymbol)).toEqual({
        [h.main.symbol]: "12",
        [h.future.symbol]: "1",
      });
    });

    it("readEvents pages with a cursor and limit", async () => {
      const acct = await h.openAccount("100000");
      await h.setQuote(h.main.symbol, "100.00", "100.02");
      for (let i = 0; i < 3; i++) await broker.placeOrder(market(acct, "buy", "2"));
      const all = await broker.readEvents(acct, 0);
      expect(all).toHaveLength(6);
      expect(await broker.readEvents(acct, 0, 4)).toEqual(all.slice(0, 4));
      expect(await broker.readEvents(acct, 4)).toEqual(all.slice(4));
      expect(await broker.readEvents(acct, 6)).toEqual([]);
      expect(await drainEvents(broker, acct, 1)).toEqual(all);
    });
  });
  batchContract(name, makeHarness);
}

// ------------------------------------------------------------------ batch methods

type Outcome = { ok: true; order: unknown } | { ok: false; error: unknown };

/** A scenario run the same way on two fresh harnesses: once batched, once call by call. */
type Scenario = {
  /** Starting cash of each account (ids[i]). */
  cash: string[];
  faults?: Array<[account: number, kind: FaultKind, count: number]>;
  /** Staging through the single calls (quotes, earlier orders), identical in both runs. */
  setup?(h: Harness, ids: string[], tag: string): Promise<void>;
  /** Consecutive batches (each one placeOrders call, or placeOrder per request). */
  batches(h: Harness, ids: string[], tag: string): OrderRequest[][];
  /** Runs after the batches, identical in both runs (e.g. later quotes). */
  after?(h: Harness, ids: string[], tag: string): Promise<void>;
};

function errorShape(e: unknown): unknown {
  if (!(e instanceof BrokerError)) return { notABrokerError: String(e) };
  const x = e as BrokerError & { reason?: string; retryAfterMs?: number; order?: unknown };
  return {
    name: x.name,
    kind: x.kind,
    message: x.message,
    reason: x.reason,
    retryAfterMs: x.retryAfterMs,
    order: x.order,
  };
}

/**
 * Account ids differ between two harnesses: replace them by their index. Dates are left
 * out (a sandbox's clock is not ours); the paper broker's own tests compare them too.
 */
function normalize(value: unknown, ids: string[]): unknown {
  let text = JSON.stringify(value, function (this: Record<string, unknown>, key, v: unknown) {
    return this[key] instanceof Date ? "<date>" : v;
  });
  const order = ids.map((id, i) => [id, i] as const).sort((a, b) => b[0].length - a[0].length);
  for (const [id, i] of order) text = text.split(id).join(`<acct${i}>`);
  return JSON.parse(text) as unknown;
}

async function runScenario(
  makeHarness: () => Promise<Harness>,
  s: Scenario,
  tag: string,
  mode: "batch" | "single",
): Promise<unknown> {
  const h = await makeHarness();
  try {
    const broker = h.adapter;
    const ids: string[] = [];
    for (const cash of s.cash) ids.push(await h.openAccount(cash));
    for (const [i, kind, count] of s.faults ?? []) await h.injectFault(ids[i]!, kind, count);
    await s.setup?.(h, ids, tag);
    const results: Outcome[][] = [];
    for (const batch of s.batches(h, ids, tag)) {
      if (mode === "batch") {
        results.push(await broker.placeOrders!(batch));
      } else {
        const out: Outcome[] = [];
        for (const req of batch) {
          out.push(
            await broker.placeOrder(req).then(
              (order) => ({ ok: true as const, order }),
              (error: unknown) => ({ ok: false as const, error }),
            ),
          );
        }
        results.push(out);
      }
    }
    await s.after?.(h, ids, tag);
    const clientIds = [
      ...new Set(s.batches(h, ids, tag).flatMap((b) => b.map((r) => r.clientOrderId))),
    ];
    const accounts = [];
    for (const id of ids) {
      const orders = [];
      for (const c of clientIds) orders.push(await broker.getOrder(id, c));
      accounts.push({
        events: await drainEvents(broker, id),
        fills: await broker.listFills(id),
        positions: await broker.getPositions(id),
        account: await broker.getAccount(id),
        open: await broker.listOpenOrders(id),
        orders,
      });
    }
    const shaped = results.map((b) =>
      b.map((r) => (r.ok ? r : { ok: false, error: errorShape(r.error) })),
    );
    return normalize({ results: shaped, accounts }, ids);
  } finally {
    await h.close();
  }
}

function batchContract(name: string, makeHarness: () => Promise<Harness>): void {
  describe(`broker contract (batch methods): ${name}`, () => {
    const req = (
      accountId: string,
      clientOrderId: string,
      side: "buy" | "sell",
      qty: string,
      symbol: string,
      limitPrice?: string,
    ): OrderRequest =>
      limitPrice === undefined
        ? { accountId, clientOrderId, symbol, side, type: "market", qty }
        : { accountId, clientOrderId, symbol, side, type: "limit", qty, limitPrice };

    // 0, 1: plain; 2: small cash (rejections); 3..8: one queued fault kind each.
    const FAULTED: FaultKind[] = [
      "error_before_accept",
      "timeout_after_accept",
      "reject",
      "rate_limited",
      "duplicate_events",
      "drop_events",
    ];
    const mixed: Scenario = {
      cash: ["100000", "100000", "1000", ...FAULTED.map(() => "100000")],
      faults: FAULTED.map((kind, i) => [3 + i, kind, 1] as [number, FaultKind, number]),
      async setup(h, ids, tag) {
        await h.setQuote(h.main.symbol, "100.00", "100.02");
        await h.setQuote(h.future.symbol, "5000.00", "5000.25");
        // An order that already exists before the batch, and a working limit order.
        await h.adapter.placeOrder(req(ids[0]!, `${tag}-pre`, "buy", "10", h.main.symbol));
        await h.adapter.placeOrder(
          req(ids[1]!, `${tag}-rest`, "buy", "20", h.main.symbol, "90.00"),
        );
      },
      batches(h, ids, tag) {
        const m = h.main.symbol;
        const a = ids;
        const faultReqs = FAULTED.flatMap((_, i) => {
          const acct = a[3 + i]!;
          return [
            req(acct, `${tag}-f${i}`, "buy", "10", m),
            // The retry with the same id (the queued fault is used up).
            req(acct, `${tag}-f${i}`, "buy", "10", m),
            req(acct, `${tag}-g${i}`, "sell", "4", m),
          ];
        });
        return [
          [
            req(a[0]!, `${tag}-1`, "buy", "10", m),
            req(a[0]!, `${tag}-pre`, "sell", "99", m), // already exists: the existing order
            req(a[0]!, `${tag}-1`, "buy", "20", m), // duplicate inside the batch
            req(a[1]!, `${tag}-2`, "sell", "5", m), // a short
            req(a[1]!, `${tag}-3`, "buy", "1", h.future.symbol),
            req(a[2]!, `${tag}-4`, "buy", "1000", m), // INSUFFICIENT_BUYING_POWER
            req(a[2]!, `${tag}-4`, "buy", "2", m), // the same rejection again
            req(a[2]!, `${tag}-5`, "buy", fmt(D(h.main.minQty).minus(h.main.qtyStep)), m),
            req(a[2]!, `${tag}-6`, "buy", "1", h.closedSymbol),
            req(a[2]!, `${tag}-7`, "buy", "1", h.unquotedSymbol),
            { ...req(a[2]!, `${tag}-8`, "buy", "1", m), qty: "1.2.3" }, // INVALID_ORDER
            req(`${a[2]!}-no-such-account`, `${tag}-9`, "buy", "1", m), // not_found
            ...faultReqs,
            req(a[0]!, `${tag}-10`, "sell", "20", m), // flattens the position
            req(a[0]!, `${tag}-11`, "buy", "5", m, "95.00"), // rests
            req(a[2]!, `${tag}-12`, "buy", "9", m), // uses almost all of the cash
            req(a[2]!, `${tag}-13`, "buy", "2", m), // no buying power left
          ],
          // A second batch sees the first one's effects.
          [req(a[0]!, `${tag}-1`, "buy", "10", m), req(a[1]!, `${tag}-14`, "buy", "5", m)],
        ];
      },
    };

    const liquidity: Scenario = {
      cash: ["100000", "100000", "100000", "5000"],
      async setup(h, ids, tag) {
        await h.setQuote(h.main.symbol, "100.00", "100.02");
        await h.setLiquidity(h.main.symbol, "30");
        await h.adapter.placeOrder(req(ids[2]!, `${tag}-pre`, "buy", "50", h.main.symbol));
      },
      batches(h, ids, tag) {
        const m = h.main.symbol;
        return [
          [
            req(ids[0]!, `${tag}-1`, "buy", "100", m), // partially filled, keeps working
            req(ids[0]!, `${tag}-2`, "sell", "40", m), // reserved against the working buy
            req(ids[1]!, `${tag}-3`, "sell", "10", m, "100.00"), // fills at once (bid = limit)
            req(ids[1]!, `${tag}-4`, "buy", "10", m, "99.00"), // rests
            req(ids[2]!, `${tag}-5`, "sell", "50", m), // flattens (position now 30, working 20)
            req(ids[3]!, `${tag}-6`, "buy", "40", m), // 30 filled, 10 working (reserved)
            req(ids[3]!, `${tag}-7`, "buy", "15", m), // refused only because of the reservation
            req(ids[3]!, `${tag}-8`, "buy", "9", m), // fits
          ],
        ];
      },
      async after(h) {
        await h.setQuote(h.main.symbol, "98.90", "98.95");
        await h.setQuote(h.main.symbol, "99.10", "99.12");
        await h.setLiquidity(h.main.symbol, null);
        await h.setQuote(h.main.symbol, "99.20", "99.22");
      },
    };

    for (const [label, scenario] of [
      ["rejections, duplicates, existing ids and every injected fault kind", mixed],
      ["partial fills under a liquidity limit, working orders and later quotes", liquidity],
    ] as const) {
      it(`placeOrders gives the same results, events, fills, positions and cash as placeOrder one by one: ${label}`, async (ctx) => {
        const probe = await makeHarness();
        const supported = typeof probe.adapter.placeOrders === "function";
        await probe.close();
        if (!supported) ctx.skip();
        const tag = newClientOrderId("batch");
        const batched = await runScenario(makeHarness, scenario, tag, "batch");
        const single = await runScenario(makeHarness, scenario, tag, "single");
        expect(batched).toEqual(single);
      });
    }

    it("placeOrders: timeout_after_accept is an unknown outcome after the order was fully processed", async (ctx) => {
      const h = await makeHarness();
      try {
        if (!h.adapter.placeOrders) ctx.skip();
        const acct = await h.openAccount("100000");
        await h.setQuote(h.main.symbol, "100.00", "100.02");
        await h.injectFault(acct, "timeout_after_accept", 1);
        const r = req(acct, newClientOrderId(), "buy", "10", h.main.symbol);
        const [first, again] = await h.adapter.placeOrders!([r, r]);
        expect(first!.ok).toBe(false);
        expect(!first!.ok && first!.error).toBeInstanceOf(BrokerUnknownOutcomeError);
        expect(again).toMatchObject({ ok: true, order: { status: "filled", filledQty: "10" } });
        expect(await h.adapter.getOrder(acct, r.clientOrderId)).toMatchObject({
          status: "filled",
        });
        expect(await h.adapter.listFills(acct)).toHaveLength(1);
      } finally {
        await h.close();
      }
    });

    it("readEventsMany equals readEvents per account (any cursor and limit, faults included)", async (ctx) => {
      const h = await makeHarness();
      try {
        const broker = h.adapter;
        if (!broker.readEventsMany || !broker.placeOrders) ctx.skip();
        const ids: string[] = [];
        for (let i = 0; i < 5; i++) ids.push(await h.openAccount("100000"));
        await h.injectFault(ids[1]!, "duplicate_events", 3);
        await h.injectFault(ids[2]!, "drop_events", 2);
        await h.setQuote(h.main.symbol, "100.00", "100.02");
        const reqs: OrderRequest[] = [];
        for (let i = 0; i < 4; i++)
          for (const id of ids.slice(0, 4))
            reqs.push(req(id, newClientOrderId(), "buy", "2", h.main.symbol));
        await broker.placeOrders!(reqs);
        // ids[4] has no events at all.
        for (const limit of [1, 3, 100]) {
          for (const after of [0, 2, 5, 8, 100]) {
            const cursors = ids.map((accountId, i) => ({ accountId, afterSeq: (after + i) % 9 }));
            const many = await broker.readEventsMany!(cursors, limit);
            expect([...many.keys()].sort()).toEqual([...ids].sort());
            for (const c of cursors)
              expect(many.get(c.accountId)).toEqual(
                await broker.readEvents(c.accountId, c.afterSeq, limit),
              );
          }
        }
        expect(await broker.readEventsMany!([])).toEqual(new Map());
        const err = await broker.readEventsMany!([
          { accountId: ids[0]!, afterSeq: 0 },
          { accountId: `${ids[0]!}-no-such-account`, afterSeq: 0 },
        ]).then(
          () => null,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(BrokerError);
        expect((err as BrokerError).kind).toBe("not_found");
      } finally {
        await h.close();
      }
    });
  });
}
