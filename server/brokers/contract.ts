import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { D, fmt, roundToTick } from "../domain/money";
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
} from "./types";

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
}
