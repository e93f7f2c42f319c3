import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestDb } from "../../../test/db";
import { checkInvariants } from "./invariants";
import type { Report } from "./report";
import { runReplay } from "./run-replay";
import { AAPL_SPEC as AAPL } from "../testing/scenario-parts";
import { parseScenario, type Scenario } from "./scenario";

/**
 * One scenario per hard case of the copy engine, run through the real engine, paper broker
 * and PostgreSQL, with the invariants of replay-format.md checked after every run.
 */
let t: Awaited<ReturnType<typeof createTestDb>>;
beforeEach(async () => {
  t = await createTestDb();
});
afterEach(() => t.drop());

const at = (s: number) => new Date(Date.UTC(2026, 0, 5, 14, 30, s)).toISOString();
const quote = (s: number, bid: string, ask: string, symbol = "AAPL") => ({
  at: at(s),
  type: "quote",
  symbol,
  bid,
  ask,
});
const fill = (
  s: number,
  id: string,
  side: "buy" | "sell",
  qty: string,
  price: string,
  symbol = "AAPL",
) => ({
  at: at(s),
  type: "leader_fill",
  fillId: id,
  orderId: `o-${id}`,
  symbol,
  side,
  qty,
  price,
});
const follower = (id: string, cash: string, copy: Record<string, unknown>) => ({
  id,
  cash,
  copy: { onInsufficientFunds: "reduce", ...copy },
});

async function replay(raw: unknown): Promise<{ report: Report; scenario: Scenario }> {
  const scenario = parseScenario(raw);
  const report = await runReplay(t.db, scenario);
  expect(await checkInvariants(t.db, scenario, report)).toEqual([]);
  return { report, scenario };
}

describe("replay scenarios", () => {
  it("partial fills across quotes, then a stop cancels the rest mid-fill and closes what was filled", async () => {
    const { report } = await replay({
      name: "partial then cancel",
      instruments: [{ ...AAPL, commissionPerUnit: "0" }],
      leader: { id: "L", cash: "100000" },
      followers: [
        follower("F1", "50000", { sizing: { mode: "proportional", allocation: "20000" } }),
      ],
      events: [
        quote(0, "100.00", "100.10"),
        { at: at(1), type: "liquidity", symbol: "AAPL", maxFillQty: "5" },
        fill(2, "f-1", "buy", "100", "100.00"),
        quote(3, "100.20", "100.30"),
        { at: at(4), type: "copy_action", follower: "F1", action: "stop" },
        quote(5, "100.00", "100.10"),
      ],
    });
    const f = report.followers.F1!;
    expect(f.status).toBe("stopped");
    expect(f.positions).toEqual({ AAPL: "0" });
    expect(f.targets).toEqual({ AAPL: "0" });
    expect(f.orders.map((o) => [o.origin, o.side, o.qty, o.filledQty, o.status])).toEqual([
      ["copy", "buy", "20", "10", "cancelled"],
      ["risk", "sell", "10", "10", "filled"],
    ]);
    expect(f.fills.map((x) => [x.qty, x.price])).toEqual([
      ["5", "100.1"],
      ["5", "100.3"],
      ["5", "100.2"],
      ["5", "100"],
    ]);
    expect(f.brokerCalls).toEqual({ submit: 2, query: 0, cancel: 1 });
    expect(f.cash).toBe("49999"); // 50000 − 500.5 − 501.5 + 501 + 500
  });

  it("the leader closes while the follower holds less (exposure limit): the follower still ends flat", async () => {
    const { report } = await replay({
      name: "close while different",
      instruments: [{ ...AAPL, minQty: "5" }],
      leader: { id: "L", cash: "100000" },
      followers: [
        follower("F1", "20000", {
          sizing: { mode: "proportional", allocation: "10000" },
          risk: { maxSymbolExposure: "600" },
        }),
      ],
      events: [
        quote(0, "99.90", "100.10"),
        fill(1, "f-1", "buy", "100", "100.00"),
        fill(2, "f-2", "sell", "100", "100.00"),
      ],
    });
    const f = report.followers.F1!;
    expect(f.decisions).toEqual([
      {
        leaderFillId: "f-1",
        symbol: "AAPL",
        target: "10",
        orderQty: "5",
        action: "reduced",
        reason: "MAX_SYMBOL_EXPOSURE",
      },
      // 5 is the minimum size, but an order that leaves the follower flat is always sent.
      {
        leaderFillId: "f-2",
        symbol: "AAPL",
        target: "0",
        orderQty: "-5",
        action: "placed",
        reason: "OK",
      },
    ]);
    expect(f.positions).toEqual({ AAPL: "0" });
  });

  it("insufficient funds at copy time: reduce buys what the cash allows, skip buys nothing", async () => {
    const { report } = await replay({
      name: "insufficient funds",
      instruments: [{ ...AAPL, commissionPerUnit: "0" }],
      leader: { id: "L", cash: "100000" },
      followers: [
        follower("R", "1000", { sizing: { mode: "proportional", allocation: "5000" } }),
        follower("S", "1000", {
          sizing: { mode: "proportional", allocation: "5000" },
          onInsufficientFunds: "skip",
        }),
      ],
      events: [quote(0, "99.90", "100.10"), fill(1, "f-1", "buy", "400", "100.00")],
    });
    expect(report.followers.R!.decisions[0]).toMatchObject({
      target: "20",
      orderQty: "9",
      action: "reduced",
      reason: "INSUFFICIENT_FUNDS",
    });
    expect(report.followers.R!.positions).toEqual({ AAPL: "9" });
    expect(report.followers.S!.decisions[0]).toMatchObject({
      target: "20",
      orderQty: "0",
      action: "skipped",
      reason: "INSUFFICIENT_FUNDS",
    });
    expect(report.followers.S!.positions).toEqual({ AAPL: "0" });
    expect(report.followers.S!.brokerCalls.submit).toBe(0);
  });

  it("broker failures: transient errors are retried with the same id, a timeout is resolved by asking, a rejection is recorded", async () => {
    const copy = { sizing: { mode: "proportional", allocation: "10000" } };
    const { report } = await replay({
      name: "faults",
      instruments: [AAPL],
      leader: { id: "L", cash: "100000" },
      followers: [
        follower("E", "20000", copy),
        follower("T", "20000", copy),
        follower("J", "20000", copy),
      ],
      events: [
        quote(0, "189.98", "190.02"),
        { at: at(1), type: "fault", account: "E", fault: "error_before_accept", count: 3 },
        { at: at(1), type: "fault", account: "T", fault: "timeout_after_accept", count: 1 },
        { at: at(1), type: "fault", account: "J", fault: "reject", count: 1 },
        fill(2, "f-1", "buy", "30", "190.00"),
      ],
    });
    const e = report.followers.E!;
    expect(e.brokerCalls).toEqual({ submit: 4, query: 0, cancel: 0 });
    expect(e.orders).toHaveLength(1);
    expect(e.orders[0]).toMatchObject({ status: "filled", filledQty: "3" });
    const tmo = report.followers.T!;
    expect(tmo.brokerCalls).toEqual({ submit: 1, query: 1, cancel: 0 });
    expect(tmo.positions).toEqual({ AAPL: "3" });
    expect(tmo.fills).toHaveLength(1);
    const j = report.followers.J!;
    expect(j.orders[0]).toMatchObject({ status: "rejected", filledQty: "0" });
    expect(j.decisions[0]).toMatchObject({ action: "skipped", reason: "BROKER_REJECTED" });
    expect(j.positions).toEqual({ AAPL: "0" });
  });

  it("instruments with different steps and multipliers size and settle exactly", async () => {
    const { report } = await replay({
      name: "steps and multipliers",
      instruments: [
        {
          symbol: "ES",
          currency: "USD",
          tickSize: "0.25",
          qtyStep: "1",
          minQty: "1",
          minNotional: "0",
          multiplier: "50",
          commissionPerUnit: "2.25",
        },
        {
          symbol: "BTC",
          currency: "USD",
          tickSize: "0.01",
          qtyStep: "0.001",
          minQty: "0.001",
          minNotional: "10",
          multiplier: "1",
          commissionPerUnit: "0",
        },
      ],
      leader: { id: "L", cash: "1000000" },
      followers: [
        follower("F1", "500000", { sizing: { mode: "proportional", allocation: "100000" } }),
      ],
      events: [
        quote(0, "5000.00", "5000.25", "ES"),
        quote(0, "59990.00", "60010.00", "BTC"),
        fill(1, "f-1", "buy", "15", "5000.00", "ES"),
        fill(2, "f-2", "buy", "2.5", "60000.00", "BTC"),
        fill(3, "f-3", "sell", "5", "5000.00", "ES"),
        fill(4, "f-4", "sell", "10", "5000.00", "ES"),
      ],
    });
    const f = report.followers.F1!;
    expect(f.decisions.map((d) => [d.symbol, d.target, d.orderQty, d.action])).toEqual([
      ["ES", "1", "1", "placed"], // 0.1 × 15 = 1.5 → 1 contract
      ["BTC", "0.25", "0.25", "placed"],
      ["ES", "1", "0", "none"], // 0.1 × 10 = 1: nothing to do
      ["ES", "0", "-1", "placed"],
    ]);
    expect(f.positions).toEqual({ BTC: "0.25", ES: "0" });
    // 500000 − 5000.25×50 − 2.25 − 0.25×60010 + 5000×50 − 2.25
    expect(f.cash).toBe("484980.5");
  });

  it("pause skips increases but follows reductions; resume copies again; stop ends copying", async () => {
    const { report } = await replay({
      name: "pause resume stop",
      instruments: [{ ...AAPL, commissionPerUnit: "0" }],
      leader: { id: "L", cash: "100000" },
      followers: [
        follower("F1", "20000", { sizing: { mode: "proportional", allocation: "10000" } }),
      ],
      events: [
        quote(0, "99.90", "100.10"),
        fill(1, "f-1", "buy", "50", "100.00"),
        { at: at(2), type: "copy_action", follower: "F1", action: "pause" },
        fill(3, "f-2", "buy", "50", "100.00"),
        fill(4, "f-3", "sell", "80", "100.00"),
        { at: at(5), type: "copy_action", follower: "F1", action: "resume" },
        fill(6, "f-4", "buy", "30", "100.00"),
        { at: at(7), type: "copy_action", follower: "F1", action: "stop" },
        fill(8, "f-5", "buy", "10", "100.00"),
      ],
    });
    const f = report.followers.F1!;
    expect(
      f.decisions.map((d) => [d.leaderFillId, d.target, d.orderQty, d.action, d.reason]),
    ).toEqual([
      ["f-1", "5", "5", "placed", "OK"],
      ["f-2", "10", "0", "skipped", "PAUSED"],
      ["f-3", "2", "-3", "placed", "OK"],
      ["f-4", "5", "3", "placed", "OK"],
      // The stop's close is a decision too, with no leader fill (replay-format.md).
      [null, "0", "-5", "placed", "STOPPED"],
    ]);
    expect(f.status).toBe("stopped");
    expect(f.positions).toEqual({ AAPL: "0" });
    expect(f.orders.filter((o) => o.leaderFillId === "f-5")).toEqual([]);
  });

  it("copy stop-loss closes the copy at market and stops it when the loss reaches the limit", async () => {
    const { report } = await replay({
      name: "stop-loss",
      instruments: [{ ...AAPL, commissionPerUnit: "0" }],
      leader: { id: "L", cash: "100000" },
      followers: [
        follower("F1", "20000", {
          sizing: { mode: "proportional", allocation: "10000" },
          risk: { copyStopLossPct: "10" },
        }),
      ],
      events: [
        quote(0, "99.90", "100.10"),
        fill(1, "f-1", "buy", "900", "100.00"), // target 90 ≈ 9009 of exposure
        quote(2, "95.00", "95.10"), // −459: fine
        quote(3, "88.00", "88.10"), // −1089 ≤ −1000: stop
        fill(4, "f-2", "buy", "100", "88.00"),
      ],
    });
    const f = report.followers.F1!;
    expect(f.status).toBe("stopped");
    expect(f.positions).toEqual({ AAPL: "0" });
    expect(f.orders.map((o) => [o.origin, o.side, o.qty, o.status])).toEqual([
      ["copy", "buy", "90", "filled"],
      ["risk", "sell", "90", "filled"],
    ]);
    expect(
      f.decisions.map((d) => [d.leaderFillId, d.target, d.orderQty, d.action, d.reason]),
    ).toEqual([
      ["f-1", "90", "90", "placed", "OK"],
      [null, "0", "-90", "placed", "COPY_STOP_LOSS"],
    ]);
  });

  it("copy stop-loss also counts realized losses: a flat copy that lost enough is stopped at the next quote", async () => {
    const { report } = await replay({
      name: "stop-loss on realized",
      instruments: [{ ...AAPL, commissionPerUnit: "0" }],
      leader: { id: "L", cash: "100000" },
      followers: [
        follower("F1", "20000", {
          sizing: { mode: "proportional", allocation: "10000" },
          risk: { copyStopLossPct: "0.01" },
        }),
      ],
      events: [
        quote(0, "99.90", "100.10"),
        fill(1, "f-1", "buy", "100", "100.00"), // buys 10 at 100.10
        fill(2, "f-2", "sell", "100", "100.00"), // sells 10 at 99.90: realized −2 ≤ −1
        quote(3, "99.90", "100.10"),
        fill(4, "f-3", "buy", "100", "100.00"),
      ],
    });
    const f = report.followers.F1!;
    expect(f.status).toBe("stopped");
    expect(f.decisions.map((d) => d.leaderFillId)).toEqual(["f-1", "f-2"]);
    expect(f.cash).toBe("19998");
  });

  it("dropped order events are repaired by reconciliation; duplicated ones are booked once", async () => {
    const copy = { sizing: { mode: "proportional", allocation: "10000" } };
    const { report } = await replay({
      name: "event faults",
      instruments: [AAPL],
      leader: { id: "L", cash: "100000" },
      followers: [follower("D", "20000", copy), follower("U", "20000", copy)],
      events: [
        quote(0, "189.98", "190.02"),
        { at: at(1), type: "fault", account: "D", fault: "drop_events", count: 5 },
        { at: at(1), type: "fault", account: "U", fault: "duplicate_events", count: 5 },
        fill(2, "f-1", "buy", "30", "190.00"),
        { at: at(3), type: "reconcile" },
      ],
    });
    expect(report.followers.D!.positions).toEqual({ AAPL: "3" });
    expect(report.followers.D!.orders[0]).toMatchObject({ status: "filled", filledQty: "3" });
    expect(report.followers.D!.brokerCalls.query).toBeGreaterThan(0);
    expect(report.followers.U!.fills).toHaveLength(1);
    expect(report.followers.U!.cash).toBe("19429.925");
  });

  it("fixed notional: the ratio is taken when the leader opens from flat, and again after a flip", async () => {
    const { report } = await replay({
      name: "fixed notional flip",
      instruments: [{ ...AAPL, commissionPerUnit: "0" }],
      leader: { id: "L", cash: "100000" },
      followers: [
        follower("F1", "100000", { sizing: { mode: "fixed_notional", notional: "10000" } }),
      ],
      events: [
        quote(0, "49.99", "50.01"),
        fill(1, "f-1", "buy", "100", "50.00"), // r = 10000 / 5000 = 2 → 200
        quote(2, "59.99", "60.01"),
        fill(3, "f-2", "sell", "150", "60.00"), // flip: −50 at 60 → r = 10000/3000 → −166
      ],
    });
    const f = report.followers.F1!;
    expect(f.decisions.map((d) => [d.target, d.orderQty])).toEqual([
      ["200", "200"],
      ["-166", "-366"],
    ]);
    expect(f.positions).toEqual({ AAPL: "-166" });
  });

  it("a leader deposit re-fixes the proportional ratio; set_allocation too; a follower's own cash does not", async () => {
    const { report } = await replay({
      name: "ratio refix",
      instruments: [{ ...AAPL, commissionPerUnit: "0" }],
      leader: { id: "L", cash: "100000" },
      followers: [
        follower("F1", "50000", { sizing: { mode: "proportional", allocation: "10000" } }),
      ],
      events: [
        quote(0, "99.90", "100.10"),
        fill(1, "f-1", "buy", "100", "100.00"), // r 0.1 → 10
        { at: at(2), type: "cash", account: "L", amount: "100000" }, // equity 200000 → r 0.05
        { at: at(3), type: "cash", account: "F1", amount: "5000" },
        fill(4, "f-2", "buy", "100", "100.00"), // 0.05 × 200 = 10 → none
        {
          at: at(5),
          type: "copy_action",
          follower: "F1",
          action: "set_allocation",
          allocation: "40000",
        }, // r 0.2
        fill(6, "f-3", "buy", "100", "100.00"), // 0.2 × 300 = 60
      ],
    });
    const f = report.followers.F1!;
    expect(f.decisions.map((d) => [d.target, d.orderQty, d.action])).toEqual([
      ["10", "10", "placed"],
      ["10", "0", "none"],
      ["60", "50", "placed"],
    ]);
    expect(f.positions).toEqual({ AAPL: "60" });
  });

  it("a fill id seen twice is one fill", async () => {
    const { report } = await replay({
      name: "duplicate leader fill",
      instruments: [AAPL],
      leader: { id: "L", cash: "100000" },
      followers: [
        follower("F1", "20000", { sizing: { mode: "proportional", allocation: "10000" } }),
      ],
      events: [
        quote(0, "189.98", "190.02"),
        fill(1, "f-1", "buy", "30", "190.00"),
        fill(2, "f-1", "buy", "30", "190.00"),
      ],
    });
    expect(report.leader.positions).toEqual({ AAPL: "30" });
    expect(report.followers.F1!.decisions).toHaveLength(1);
  });
});

describe("scenario validation", () => {
  it("names the bad field", () => {
    expect(() =>
      parseScenario({
        name: "x",
        instruments: [],
        leader: { id: "L", cash: 5 },
        followers: [],
        events: [],
      }),
    ).toThrow(/instruments: needs at least one instrument[\s\S]*leader\.cash/);
    expect(() =>
      parseScenario({
        name: "x",
        instruments: [AAPL],
        leader: { id: "L", cash: "1" },
        followers: [],
        events: [{ at: at(0), type: "quote", symbol: "MSFT", bid: "1", ask: "2" }],
      }),
    ).toThrow(/events\[0\]\.symbol: unknown instrument MSFT/);
    expect(() =>
      parseScenario({
        name: "x",
        instruments: [AAPL],
        leader: { id: "L", cash: "1" },
        followers: [],
        events: [],
        extra: 1,
      }),
    ).toThrow(/extra/);
  });
});
