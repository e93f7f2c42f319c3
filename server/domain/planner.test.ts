import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { D } from "./money";
import { availableFunds, planCopyOrder, type PlanInput } from "./planner";
import { splitReduceIncrease } from "./sizing";

/**
 * The planner's contract (DESIGN.md "Risk", issue "One engine"): against the effective
 * position (held + working), an order is a reduction toward zero — always passed in full —
 * plus an increase that every increase check may only shrink, never grow or flip.
 */
const qty = fc.integer({ min: -40, max: 40 });
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: null });

const input = fc
  .record({
    leaderBefore: qty,
    leaderAfter: qty,
    ratio: fc.constantFrom("0.5", "1", "2", "0.3333333333"),
    status: fc.constantFrom("active", "paused") as fc.Arbitrary<"active" | "paused">,
    position: qty,
    openQty: qty,
    others: fc.integer({ min: 0, max: 4 }),
    funds: fc.integer({ min: 0, max: 6000 }),
    maxSymbolExposure: maybe(fc.integer({ min: 0, max: 4000 })),
    maxOpenPositions: maybe(fc.integer({ min: 0, max: 5 })),
    maxSlippageBps: maybe(fc.integer({ min: 0, max: 300 })),
    dailyLossLimit: maybe(fc.integer({ min: 0, max: 100 })),
    dailyLoss: fc.integer({ min: -50, max: 150 }),
    breaker: fc.boolean(),
    copyable: fc.boolean(),
    leaderPrice: fc.constantFrom("100", "99", "101.5"),
    policy: fc.constantFrom("reduce", "skip") as fc.Arbitrary<"reduce" | "skip">,
  })
  .map((x): PlanInput => ({
    sizing: { mode: "multiplier", ratio: x.ratio },
    leader: { positionBefore: x.leaderBefore, positionAfter: x.leaderAfter },
    leaderPrice: x.leaderPrice,
    copy: {
      status: x.status,
      position: x.position,
      openQty: x.openQty,
      openPositions: x.others + (x.position === 0 ? 0 : 1),
    },
    instrument: {
      qtyStep: "1",
      minQty: "1",
      minNotional: "1",
      multiplier: "1",
      commissionPerUnit: "0.01",
    },
    quote: { bid: "99.98", ask: "100.02" },
    funds: String(x.funds),
    limits: {
      maxSymbolExposure: x.maxSymbolExposure === null ? null : String(x.maxSymbolExposure),
      maxOpenPositions: x.maxOpenPositions,
      maxSlippageBps: x.maxSlippageBps === null ? null : String(x.maxSlippageBps),
      dailyLossLimit: x.dailyLossLimit === null ? null : String(x.dailyLossLimit),
    },
    leaderCopyable: x.copyable,
    breakerOpen: x.breaker ? "global:halt (test)" : null,
    dailyLoss: x.dailyLossLimit === null ? null : String(x.dailyLoss),
    onInsufficientFunds: x.policy,
  }));

describe("planCopyOrder", () => {
  it("splits every order into a full reduction and an increase that checks only shrink", () => {
    fc.assert(
      fc.property(input, (i) => {
        const p = planCopyOrder(i);
        const effective = D(i.copy.position).plus(i.copy.openQty);
        const { reduce, increase } = splitReduceIncrease(effective, p.delta);
        const sent = splitReduceIncrease(effective, p.orderQty);
        // the reduction part always passes, whole
        expect(sent.reduce.eq(reduce)).toBe(true);
        // the increase part is the asked one or smaller, same direction
        expect(sent.increase.abs().lte(increase.abs())).toBe(true);
        if (!sent.increase.isZero()) expect(sent.increase.s).toBe(increase.s);
        // no increase while paused, on a breaker, or for a leader who is not copyable
        if (i.copy.status === "paused" || i.breakerOpen !== null || !i.leaderCopyable)
          expect(sent.increase.isZero()).toBe(true);
        // an increase never breaks the exposure limit or the funds it was given
        if (!sent.increase.isZero()) {
          const after = effective.plus(p.orderQty).abs();
          if (i.limits.maxSymbolExposure !== null && i.limits.maxSymbolExposure !== undefined) {
            const price = p.orderQty.isNeg() ? "99.98" : "100.02";
            expect(after.times(price).lte(i.limits.maxSymbolExposure)).toBe(true);
          }
          expect(p.fundsUsed.lte(i.funds)).toBe(true);
          if (i.limits.dailyLossLimit !== null && i.limits.dailyLossLimit !== undefined)
            expect(D(i.dailyLoss!).lt(i.limits.dailyLossLimit)).toBe(true);
        } else {
          expect(p.fundsUsed.isZero()).toBe(true);
        }
        // a skipped or reduced order always says why; a placed one is exactly what was asked
        if (p.action === "placed") expect(p.orderQty.eq(p.delta)).toBe(true);
        if (p.action === "reduced" || p.action === "skipped") expect(p.reason).not.toBe("OK");
      }),
      { numRuns: 3000 },
    );
  });

  it("plans for reconciliation exactly what the fan-out plans for the same state", () => {
    // Reconciliation has no new fill: it plans with the leader's position before = after.
    // For ratio-based sizing that state gives the fan-out's order, decision for decision.
    fc.assert(
      fc.property(input, (i) => {
        const fanout = planCopyOrder(i);
        const settled = planCopyOrder({
          ...i,
          leader: { positionBefore: i.leader.positionAfter, positionAfter: i.leader.positionAfter },
        });
        expect([fmtPlan(settled)]).toEqual([fmtPlan(fanout)]);
      }),
      { numRuns: 1000 },
    );
  });

  it("a flip is a reduction to zero then an increase: the reduction passes even when paused", () => {
    const p = planCopyOrder({
      ...baseInput(),
      leader: { positionBefore: 10, positionAfter: -10 },
      copy: { status: "paused", position: 10, openQty: 0, openPositions: 1 },
    });
    expect([p.target.toFixed(), p.orderQty.toFixed(), p.action, p.reason]).toEqual([
      "-10",
      "-10",
      "reduced",
      "PAUSED",
    ]);
  });
});

describe("availableFunds", () => {
  it("holds back what working orders will spend on new exposure, not on closing", () => {
    const f = availableFunds({
      cash: "1000",
      positions: new Map([["A", "5"]]),
      workingOrders: [
        { symbol: "A", side: "sell", remaining: "5" }, // closes: holds nothing
        { symbol: "A", side: "buy", remaining: "3" }, // opens again after the close: 3 × 100.02
        { symbol: "B", side: "buy", remaining: "1", limitPrice: "50" },
      ],
      quotes: new Map([["A", { bid: "99.98", ask: "100.02" }]]),
      instruments: new Map([
        ["A", { multiplier: "1", commissionPerUnit: "0" }],
        ["B", { multiplier: "1", commissionPerUnit: "0" }],
      ]),
    });
    expect(f.toFixed()).toBe("649.94");
  });
});

function baseInput(): PlanInput {
  return {
    sizing: { mode: "multiplier", ratio: "1" },
    leader: { positionBefore: 0, positionAfter: 1 },
    leaderPrice: "100",
    copy: { status: "active", position: 0, openQty: 0, openPositions: 0 },
    instrument: {
      qtyStep: "1",
      minQty: "1",
      minNotional: "1",
      multiplier: "1",
      commissionPerUnit: "0",
    },
    quote: { bid: "99.98", ask: "100.02" },
    funds: "100000",
    limits: {},
    leaderCopyable: true,
    breakerOpen: null,
    dailyLoss: null,
    onInsufficientFunds: "reduce",
  };
}

function fmtPlan(p: ReturnType<typeof planCopyOrder>) {
  return {
    target: p.target.toFixed(),
    orderQty: p.orderQty.toFixed(),
    action: p.action,
    reason: p.reason,
    checks: p.checks,
  };
}
