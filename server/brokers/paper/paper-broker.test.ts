import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { brokerContract, drainEvents, newClientOrderId } from "../contract/contract-suite";
import {
  BrokerError,
  BrokerRejectedError,
  type BrokerOrderEvent,
  type OrderRequest,
} from "../types";
import type { FaultConfig } from "./faults";
import { PaperBroker } from "./paper-broker";
import { makePaperHarness, type PaperHarness } from "../contract/paper-harness";

brokerContract("paper", () => makePaperHarness());

const market = (
  accountId: string,
  side: "buy" | "sell",
  qty: string,
  symbol = "TST",
): OrderRequest => ({
  accountId,
  clientOrderId: newClientOrderId(),
  symbol,
  side,
  type: "market",
  qty,
});

async function rejection(p: Promise<unknown>): Promise<string> {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  if (!(e instanceof BrokerRejectedError))
    throw new Error(`expected a rejection, got ${String(e)}`);
  return e.reason;
}

describe("paper broker", () => {
  let h: PaperHarness;
  let broker: PaperBroker;
  beforeEach(async () => {
    h = await makePaperHarness();
    broker = h.broker;
  });
  afterEach(async () => {
    await h.close();
  });

  it("20 parallel placeOrder calls with the same clientOrderId create one order", async () => {
    const acct = await h.openAccount("100000");
    await h.setQuote("TST", "100.00", "100.02");
    const req = market(acct, "buy", "10");
    const results = await Promise.all(Array.from({ length: 20 }, () => broker.placeOrder(req)));
    expect(new Set(results.map((o) => o.brokerOrderId)).size).toBe(1);
    expect(await broker.listFills(acct)).toHaveLength(1);
    expect(await broker.getPositions(acct)).toEqual([
      { symbol: "TST", qty: "10", avgCost: "100.02" },
    ]);
    expect((await drainEvents(broker, acct)).map((e) => e.type)).toEqual(["accepted", "filled"]);
  });

  it("parallel orders on one account keep cash and the event seq consistent", async () => {
    const acct = await h.openAccount("100000");
    await h.setQuote("TST", "100.00", "100.02");
    await Promise.all(
      Array.from({ length: 15 }, (_, i) =>
        broker.placeOrder(market(acct, i % 3 ? "buy" : "sell", "2")),
      ),
    );
    const events = await drainEvents(broker, acct);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    // 10 buys at 100.02, 5 sells (short then covered) at 100, commission 0.005 per unit.
    const account = await broker.getAccount(acct);
    expect(account.cash).toBe("98999.45"); // 100000 − 20×100.02 + 10×100 − 30×0.005
    expect(await broker.getPositions(acct)).toEqual([expect.objectContaining({ qty: "10" })]);
  });

  it("accepts an order below the minimum size when it leaves the position flat", async () => {
    const acct = await h.openAccount("100000");
    await h.setQuote("TST", "100.00", "100.02");
    await broker.placeOrder(market(acct, "buy", "3")); // TST minQty is 2
    await broker.placeOrder(market(acct, "sell", "2"));
    // 1 share is below minQty (2) and minNotional (50) — but it flattens.
    expect(await broker.placeOrder(market(acct, "sell", "1"))).toMatchObject({ status: "filled" });
    expect(await broker.getPositions(acct)).toEqual([]);
    // From flat, the same order opens a short: the minimum applies again.
    expect(await rejection(broker.placeOrder(market(acct, "sell", "1")))).toBe("BELOW_MIN_QTY");
    // Flattening counts working orders too: long 4 with a resting sell of 3 → a sell of 1 flattens.
    await broker.placeOrder(market(acct, "buy", "4"));
    await broker.placeOrder({ ...market(acct, "sell", "3"), type: "limit", limitPrice: "150.00" });
    expect(await broker.placeOrder(market(acct, "sell", "1"))).toMatchObject({ status: "filled" });
  });

  it("allows shorts on a cash account, collateralised: short proceeds do not fund new positions", async () => {
    const acct = await h.openAccount("1000");
    await h.setQuote("TST", "100.00", "100.00");
    // Sell-to-open 5 @ 100: needs 500 + 0.025 commission of free collateral (1000).
    expect(await broker.placeOrder(market(acct, "sell", "5"))).toMatchObject({ status: "filled" });
    let account = await broker.getAccount(acct);
    expect(account).toMatchObject({ cash: "1499.975", equity: "999.975", buyingPower: "499.975" });
    expect(await broker.getPositions(acct)).toEqual([{ symbol: "TST", qty: "-5", avgCost: "100" }]);
    // 5 more would need 500.025 > 499.975.
    expect(await rejection(broker.placeOrder(market(acct, "sell", "5")))).toBe(
      "INSUFFICIENT_BUYING_POWER",
    );
    // Covering is a reduction: always allowed, and crossing to long only needs collateral for the long part.
    expect(await broker.placeOrder(market(acct, "buy", "7"))).toMatchObject({ status: "filled" });
    expect(await broker.getPositions(acct)).toEqual([{ symbol: "TST", qty: "2", avgCost: "100" }]);
    account = await broker.getAccount(acct);
    expect(account.cash).toBe("799.94"); // 1499.975 − 700 − 0.035
  });

  it("margin accounts get the instrument's leverage; cash accounts need the full notional", async () => {
    await broker.openAccount({ accountId: "cash", cash: "10000" });
    await broker.openAccount({ accountId: "margin", cash: "10000", margin: true });
    await h.setQuote("CRY", "20000.00", "20000.00"); // CRY maxLeverage 4
    expect(await rejection(broker.placeOrder(market("cash", "buy", "1", "CRY")))).toBe(
      "INSUFFICIENT_BUYING_POWER",
    );
    expect(await broker.placeOrder(market("cash", "buy", "0.5", "CRY"))).toMatchObject({
      status: "filled",
    });
    expect(await broker.placeOrder(market("margin", "buy", "2", "CRY"))).toMatchObject({
      status: "filled",
    });
    const m = await broker.getAccount("margin");
    // 40000 notional at 4× uses 10000 of collateral: nothing left; cash is negative (borrowed).
    expect(m).toMatchObject({ cash: "-30000", equity: "10000", buyingPower: "0" });
    expect(await rejection(broker.placeOrder(market("margin", "buy", "0.0001", "CRY")))).toBe(
      "INSUFFICIENT_BUYING_POWER",
    );
    // Reductions are always allowed.
    expect(await broker.placeOrder(market("margin", "sell", "1", "CRY"))).toMatchObject({
      status: "filled",
    });
  });

  it("working orders reserve buying power", async () => {
    const acct = await h.openAccount("1000");
    await h.setQuote("TST", "100.00", "100.00");
    await broker.placeOrder({ ...market(acct, "buy", "6"), type: "limit", limitPrice: "90.00" }); // reserves 540
    expect(await rejection(broker.placeOrder(market(acct, "buy", "5")))).toBe(
      "INSUFFICIENT_BUYING_POWER",
    );
    expect(await broker.placeOrder(market(acct, "buy", "4"))).toMatchObject({ status: "filled" });
    expect((await broker.getAccount(acct)).buyingPower).toBe("59.98"); // 1000 − 400.02 − 540
  });

  it("applies the account's slippage and commission schedule", async () => {
    const acct = await h.openAccount("100000");
    await broker.configureAccount(acct, {
      slippageBps: "10",
      commission: { perUnit: "0", bps: "5", minimum: "1" },
    });
    await h.setQuote("TST", "100.00", "100.02");
    const buy = await broker.placeOrder(market(acct, "buy", "10"));
    // 100.02 × 1.001 = 100.12002 → rounded up to the tick: 100.13.
    expect(buy.avgPrice).toBe("100.13");
    const sell = await broker.placeOrder(market(acct, "sell", "2"));
    expect(sell.avgPrice).toBe("99.9"); // 100 × 0.999
    const fills = await broker.listFills(acct);
    // 5 bps of 1001.3 = 0.50065 → the 1.00 minimum; 5 bps of 199.8 = 0.0999 → minimum again.
    expect(fills.map((f) => f.commission)).toEqual(["1", "1"]);
  });

  it("charges the per-order minimum once across partial fills", async () => {
    const acct = await h.openAccount("100000");
    await broker.configureAccount(acct, { commission: { perUnit: "0.01", minimum: "1" } });
    await h.setQuote("TST", "100.00", "100.00");
    await h.setLiquidity("TST", "10");
    await broker.placeOrder(market(acct, "buy", "30"));
    await h.setQuote("TST", "100.00", "100.00");
    await h.setQuote("TST", "100.00", "100.00");
    expect((await broker.listFills(acct)).map((f) => f.commission)).toEqual(["1", "0.1", "0.1"]);
  });

  it("fills futures with their multiplier", async () => {
    const acct = await h.openAccount("1000000");
    await h.setQuote("FUT", "5000.00", "5000.25");
    await broker.placeOrder(market(acct, "buy", "2", "FUT"));
    // 2 × 5000.25 × 50 + 2 × 1.2 commission
    expect((await broker.getAccount(acct)).cash).toBe("499972.6");
  });

  it("rejects outside trading hours and does not match quotes while the market is closed", async () => {
    const acct = await h.openAccount("100000");
    await h.setQuote("NYSE", "50.00", "50.02");
    // Monday 09:30:01 New York: open.
    const resting = {
      ...market(acct, "buy", "10", "NYSE"),
      type: "limit" as const,
      limitPrice: "49.00",
    };
    expect((await broker.placeOrder(resting)).status).toBe("accepted");
    h.clock.set("2026-01-05T21:30:00Z"); // 16:30 New York
    expect(await rejection(broker.placeOrder(market(acct, "buy", "1", "NYSE")))).toBe(
      "MARKET_CLOSED",
    );
    await broker.onQuote({ symbol: "NYSE", bid: "48.00", ask: "48.02", at: h.clock.now() });
    expect((await broker.getOrder(acct, resting.clientOrderId))!.status).toBe("accepted");
    h.clock.set("2026-01-06T14:31:00Z"); // Tuesday 09:31
    await broker.onQuote({ symbol: "NYSE", bid: "48.00", ask: "48.02", at: h.clock.now() });
    expect(await broker.getOrder(acct, resting.clientOrderId)).toMatchObject({
      status: "filled",
      avgPrice: "48.02",
    });
  });

  it("a rejected order is persisted, has an event, and stays rejected", async () => {
    const acct = await h.openAccount("100");
    await h.setQuote("TST", "100.00", "100.02");
    const req = market(acct, "buy", "10");
    const err = await broker.placeOrder(req).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BrokerRejectedError);
    expect((err as BrokerRejectedError).order).toMatchObject({
      status: "rejected",
      rejectReason: "INSUFFICIENT_BUYING_POWER",
    });
    await broker.deposit(acct, "100000");
    expect(await rejection(broker.placeOrder(req))).toBe("INSUFFICIENT_BUYING_POWER");
    expect(await drainEvents(broker, acct)).toEqual([
      expect.objectContaining({
        seq: 1,
        type: "rejected",
        reason: "INSUFFICIENT_BUYING_POWER",
        clientOrderId: req.clientOrderId,
      }),
    ]);
  });

  it("malformed requests are rejected as INVALID_ORDER and not recorded; unknown accounts are not_found", async () => {
    const acct = await h.openAccount("100");
    expect(await rejection(broker.placeOrder({ ...market(acct, "buy", "1.5e3") }))).toBe(
      "INVALID_ORDER",
    );
    expect(await rejection(broker.placeOrder({ ...market(acct, "buy", "0") }))).toBe(
      "INVALID_ORDER",
    );
    expect(await rejection(broker.placeOrder({ ...market(acct, "buy", "1"), type: "limit" }))).toBe(
      "INVALID_ORDER",
    );
    expect(await drainEvents(broker, acct)).toEqual([]);
    const e = await broker.getAccount("nobody").catch((x: unknown) => x);
    expect(e).toBeInstanceOf(BrokerError);
    expect((e as BrokerError).kind).toBe("not_found");
    expect(
      ((await broker.cancelOrder(acct, "nope").catch((x: unknown) => x)) as BrokerError).kind,
    ).toBe("not_found");
  });

  it("delayed events hold the stream back until N later events exist; nothing is skipped", async () => {
    const acct = await h.openAccount("100000");
    await broker.configureAccount(acct, { faults: { delayEvents: 1, delayEventsBy: [2, 2] } });
    await h.setQuote("TST", "100.00", "100.02");
    await broker.placeOrder(market(acct, "buy", "2")); // seq 1, 2 → readable once seq 3, 4 exist
    expect(await broker.readEvents(acct, 0)).toEqual([]);
    await broker.placeOrder(market(acct, "buy", "2")); // seq 3, 4 → readable once 5, 6 exist
    expect((await broker.readEvents(acct, 0)).map((e) => e.seq)).toEqual([1, 2]);
    await broker.configureAccount(acct, { faults: {} });
    await broker.placeOrder(market(acct, "buy", "2")); // seq 5, 6 on time
    expect((await broker.readEvents(acct, 2)).map((e) => e.seq)).toEqual([3, 4, 5, 6]);
  });

  it("reorder: an event is delivered right after the next one", async () => {
    const acct = await h.openAccount("100000");
    await broker.configureAccount(acct, { faults: { reorderEvents: 1 } });
    await h.setQuote("TST", "100.00", "100.02");
    await broker.placeOrder(market(acct, "buy", "2")); // accepted (1) and filled (2), both flagged
    // The last event waits for a next one before it can be delivered.
    await broker.configureAccount(acct, { faults: {} });
    await broker.placeOrder({ ...market(acct, "buy", "2"), type: "limit", limitPrice: "50.00" }); // 3
    expect((await broker.readEvents(acct, 0)).map((e) => [e.seq, e.type])).toEqual([
      [2, "filled"],
      [1, "accepted"],
      [3, "accepted"],
    ]);
    // A page never splits the pair.
    expect((await broker.readEvents(acct, 0, 1)).map((e) => e.seq)).toEqual([2, 1]);
  });

  it("paging never skips a late event, whatever the page size (seeded chaos)", async () => {
    const acct = await h.openAccount("1000000");
    await broker.configureAccount(acct, {
      faults: {
        seed: 7,
        delayEvents: 0.3,
        reorderEvents: 0.3,
        duplicateEvents: 0.1,
        dropEvents: 0.1,
      },
    });
    await h.setQuote("TST", "100.00", "100.02");
    await h.setLiquidity("TST", "3");
    for (let i = 0; i < 6; i++) await broker.placeOrder(market(acct, "buy", "7"));
    for (let i = 0; i < 4; i++) await h.setQuote("TST", "100.00", "100.02");
    const all = await drainEvents(broker, acct, 1000);
    const unique = [...new Set(all.map((e) => e.seq))].sort((a, b) => a - b);
    for (const size of [1, 2, 3, 5]) {
      const paged = await drainEvents(broker, acct, size);
      expect([...new Set(paged.map((e) => e.seq))].sort((a, b) => a - b)).toEqual(unique);
    }
    // The chaos actually did something: something out of order, something missing.
    const seqs = all.map((e) => e.seq);
    expect(seqs.some((s, i) => i > 0 && s < seqs[i - 1]!)).toBe(true);
    const head = (
      await h.db.sql<{ n: string }[]>`select event_seq as n from paper_accounts where id = ${acct}`
    )[0]!;
    expect(unique.length).toBeLessThan(Number(head.n));
  });

  it("latency is spent through the injected sleep, never a real timer under a ManualClock", async () => {
    const slept: number[] = [];
    const b = h.restart({ sleep: async (ms) => void slept.push(ms) });
    const acct = await h.openAccount("100000");
    await b.configureAccount(acct, { faults: { latencyMs: [50, 150] } });
    await h.setQuote("TST", "100.00", "100.02");
    for (let i = 0; i < 5; i++) await b.placeOrder(market(acct, "buy", "2"));
    await b.cancelOrder(
      acct,
      (await b.placeOrder({ ...market(acct, "buy", "2"), type: "limit", limitPrice: "30.00" }))
        .clientOrderId,
    );
    expect(slept).toHaveLength(7);
    for (const ms of slept) expect(ms >= 50 && ms <= 150).toBe(true);
    expect(new Set(slept).size).toBeGreaterThan(1);
    // The default broker runs on a ManualClock: a 100 s latency must not make it wait
    // (the test would time out).
    await broker.configureAccount(acct, { faults: { latencyMs: [100_000, 100_000] } });
    const t0 = performance.now();
    await broker.placeOrder(market(acct, "buy", "2"));
    expect(performance.now() - t0).toBeLessThan(100_000);
  });
});

/** A fixed script of calls under probabilistic faults; returns everything observable. */
async function chaosRun(seed: number, splitAt: number | null = null) {
  const h = await makePaperHarness({ seed });
  try {
    let b = h.broker;
    const faults: FaultConfig = {
      errorBeforeAccept: 0.15,
      timeoutAfterAccept: 0.3,
      reject: 0.1,
      rateLimit: 0.1,
      dropEvents: 0.1,
      duplicateEvents: 0.1,
      delayEvents: 0.15,
      reorderEvents: 0.15,
      latencyMs: [0, 100],
    };
    await b.openAccount({ accountId: "A", cash: "1000000" });
    await b.configureAccount("A", { faults });
    await h.setQuote("TST", "100.00", "100.02");
    await h.setLiquidity("TST", "5");
    const outcomes: string[] = [];
    for (let i = 0; i < 30; i++) {
      if (i === splitAt) b = h.restart({ seed }); // a new process on the same database
      const req: OrderRequest = {
        accountId: "A",
        clientOrderId: `o${i % 20}`, // ids repeat: retries of earlier orders
        symbol: "TST",
        side: i % 4 === 3 ? "sell" : "buy",
        type: "market",
        qty: String(2 + (i % 5)),
      };
      try {
        const o = await b.placeOrder(req);
        outcomes.push(`${i}:${o.brokerOrderId}:${o.status}:${o.filledQty}`);
      } catch (e) {
        const why = e instanceof BrokerRejectedError ? `:${e.reason}` : "";
        outcomes.push(`${i}:${e instanceof BrokerError ? e.kind : String(e)}${why}`);
      }
      if (i % 3 === 0) await h.setQuote("TST", String(100 + i / 10), String(100.02 + i / 10));
    }
    const events: BrokerOrderEvent[] = await drainEvents(b, "A");
    return { outcomes, events, fills: await b.listFills("A"), account: await b.getAccount("A") };
  } finally {
    await h.close();
  }
}

describe("paper broker determinism", () => {
  it("the same seed and the same calls give identical outcomes and event streams", async () => {
    const a = await chaosRun(1);
    const b = await chaosRun(1);
    expect(b).toEqual(a);
    // Faults really happened in the run (else the comparison proves little).
    expect(a.outcomes.some((o) => o.endsWith("transient"))).toBe(true);
    expect(a.outcomes.some((o) => o.endsWith("unknown_outcome"))).toBe(true);
    expect(a.outcomes.some((o) => o.endsWith("INJECTED_REJECT"))).toBe(true);
    expect(a.outcomes.some((o) => o.endsWith("rate_limited"))).toBe(true);
    const c = await chaosRun(2);
    expect(c.outcomes).not.toEqual(a.outcomes);
  });

  it("a restart continues the fault sequence from the persisted state", async () => {
    const straight = await chaosRun(3);
    const restarted = await chaosRun(3, 12);
    expect(restarted).toEqual(straight);
  });
});

/**
 * Batch vs single calls under everything that makes placement state-dependent: probabilistic
 * faults of every kind, latency, slippage, a commission schedule with a minimum, margin and
 * cash accounts, shorts, flattening, liquidity, repeated ids, chunk boundaries. Same ids in
 * both databases, so the comparison is exact (ids, dates, event shaping).
 */
async function batchChaosRun(mode: "batch" | "single", chunk: number) {
  const slept: number[] = [];
  const h = await makePaperHarness({ seed: 11 });
  try {
    const b = h.restart({
      seed: 11,
      placeOrdersChunk: chunk,
      sleep: async (ms) => void slept.push(ms),
    });
    const faults: FaultConfig = {
      errorBeforeAccept: 0.1,
      timeoutAfterAccept: 0.15,
      reject: 0.05,
      rateLimit: 0.05,
      dropEvents: 0.1,
      duplicateEvents: 0.1,
      delayEvents: 0.1,
      reorderEvents: 0.1,
      latencyMs: [0, 50],
    };
    const ids = ["M1", "M2", "M3", "M4", "M5"];
    for (const [i, id] of ids.entries()) {
      await b.openAccount({
        accountId: id,
        cash: i === 4 ? "3000" : "200000",
        margin: i % 2 === 1,
      });
      await b.configureAccount(id, {
        faults: i === 0 ? {} : { ...faults, seed: i },
        slippageBps: i === 2 ? "3" : undefined,
        commission: i === 3 ? { bps: "1", minimum: "1" } : undefined,
      });
    }
    await b.injectFault("M1", "timeout_after_accept", 2);
    await h.setQuote("TST", "100.00", "100.02");
    await h.setQuote("FUT", "5000.00", "5000.25");
    await h.setLiquidity("FUT", "3");
    const batches: OrderRequest[][] = [];
    let n = 0;
    for (let round = 0; round < 3; round++) {
      const batch: OrderRequest[] = [];
      for (let i = 0; i < 25; i++) {
        n += 1;
        const id = ids[(i * 7 + round) % ids.length]!;
        const symbol = i % 5 === 4 ? "FUT" : "TST";
        const side = (i + round) % 3 === 2 ? "sell" : "buy";
        const qty = String(1 + ((i * 3 + round) % 7));
        const base = { accountId: id, clientOrderId: `k${n % 40}`, symbol, side, qty } as const;
        batch.push(
          i % 6 === 5
            ? { ...base, type: "limit", limitPrice: side === "buy" ? "99.50" : "100.50" }
            : { ...base, type: "market" },
        );
      }
      batches.push(batch);
    }
    const results: unknown[] = [];
    for (const batch of batches) {
      const out = mode === "batch" ? await b.placeOrders(batch) : await oneByOne(b, batch);
      results.push(
        out.map((r) => {
          const x = r as {
            ok: boolean;
            order?: unknown;
            error?: BrokerError & { reason?: string };
          };
          return x.ok
            ? x
            : {
                ok: false,
                kind: x.error!.kind,
                reason: x.error!.reason,
                message: x.error!.message,
              };
        }),
      );
      await h.setQuote("TST", "99.40", "99.45");
      await h.setQuote("FUT", "5001.00", "5001.25");
    }
    const accounts = [];
    for (const id of ids)
      accounts.push({
        events: await drainEvents(b, id),
        fills: await b.listFills(id),
        positions: await b.getPositions(id),
        account: await b.getAccount(id),
        open: await b.listOpenOrders(id),
      });
    const faultState = await h.db
      .sql`select id, fault_state, event_seq from paper_accounts order by id`;
    return { results, accounts, faultState, slept };
  } finally {
    await h.close();
  }
}

async function oneByOne(b: PaperBroker, batch: OrderRequest[]) {
  const r: Array<{ ok: boolean; order?: unknown; error?: unknown }> = [];
  for (const req of batch)
    r.push(
      await b.placeOrder(req).then(
        (order) => ({ ok: true, order }),
        (error: unknown) => ({ ok: false, error }),
      ),
    );
  return r;
}

describe("paper broker placeOrders", () => {
  it("equals placeOrder one by one exactly under probabilistic chaos, across chunk boundaries", async () => {
    const single = await batchChaosRun("single", 2000);
    for (const chunk of [2000, 7]) {
      const batched = await batchChaosRun("batch", chunk);
      expect(batched.results).toEqual(single.results);
      expect(batched.accounts).toEqual(single.accounts);
      expect(batched.faultState).toEqual(single.faultState);
      // Latency: once per placeOrders call, the largest of its requests.
      expect(batched.slept).toHaveLength(3);
      expect(Math.max(...batched.slept)).toBe(Math.max(...single.slept));
    }
    // The run exercised what it claims to.
    const flat = single.results.flat() as Array<{ ok: boolean; kind?: string; reason?: string }>;
    for (const kind of ["transient", "unknown_outcome", "rate_limited", "rejected"])
      expect(flat.some((r) => r.kind === kind)).toBe(true);
    expect(flat.some((r) => r.reason === "INSUFFICIENT_BUYING_POWER")).toBe(true);
    expect(flat.filter((r) => r.ok).length).toBeGreaterThan(20);
  });
});
