import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { D, Decimal, DomainError, fmt, isOnStep, sign } from "./money";
import { REASONS, copyStopLossHit, decide, isReason, type RiskInput } from "./risk";
import { splitReduceIncrease } from "./sizing";

/** The replay-format example: F1 copying AAPL. */
const base: RiskInput = {
  status: "active",
  leaderCopyable: true,
  breakerOpen: null,
  position: "0",
  delta: "3",
  fillPrice: "190.02",
  leaderPrice: "190.00",
  multiplier: "1",
  qtyStep: "1",
  minQty: "1",
  minNotional: "1",
  commissionPerUnit: "0.005",
  availableCash: "20000",
  openPositions: 0,
  maxSymbolExposure: "6000",
  maxOpenPositions: 10,
  maxSlippageBps: 100,
  dailyLossLimit: "2000",
  dailyLoss: "0",
  onInsufficientFunds: "reduce",
};

const run = (over: Partial<RiskInput>) => {
  const d = decide({ ...base, ...over });
  return { action: d.action, qty: fmt(d.orderQty), reason: d.reason, checks: d.checks };
};

describe("decide: worked examples", () => {
  it("places the replay-format example as asked", () => {
    const d = run({});
    expect([d.action, d.qty, d.reason]).toEqual(["placed", "3", "OK"]);
    expect(d.checks.map((c) => c.check)).toEqual([
      "status",
      "leader_copyable",
      "circuit_breaker",
      "daily_loss",
      "slippage",
      "open_positions",
      "symbol_exposure",
      "funds",
      "min_size",
    ]);
    expect(d.checks.every((c) => c.passed)).toBe(true);
    // 0.02 / 190 × 10000 = 1.0526… bps
    expect(d.checks.find((c) => c.check === "slippage")?.detail).toContain("1.05 bps");
  });

  it("does nothing for a zero delta", () => {
    expect(run({ delta: "0", status: "stopped" })).toEqual({
      action: "none",
      qty: "0",
      reason: "OK",
      checks: [],
    });
  });

  it("cuts to the symbol exposure limit: 6000 / 190.02 = 31.57 → 31", () => {
    const d = run({ delta: "40" });
    expect([d.action, d.qty, d.reason]).toEqual(["reduced", "31", "MAX_SYMBOL_EXPOSURE"]);
  });

  it("counts the existing position against exposure: 20 held + 20 asked, cap 6000 → 11", () => {
    expect(run({ position: "20", openPositions: 1, delta: "20" }).qty).toBe("11");
  });

  it("cuts to available funds under 'reduce': 1000 / 190.025 = 5.26 → 5", () => {
    const d = run({ delta: "10", availableCash: "1000" });
    expect([d.action, d.qty, d.reason]).toEqual(["reduced", "5", "INSUFFICIENT_FUNDS"]);
  });

  it("counts commission against funds: 5 × 190.02 = 950.10 fits 950.11 but fees do not", () => {
    expect(run({ delta: "5", availableCash: "950.11" }).qty).toBe("4");
    expect(run({ delta: "5", availableCash: "950.125" }).qty).toBe("5");
  });

  it("skips on insufficient funds under 'skip'", () => {
    const d = run({ delta: "10", availableCash: "1000", onInsufficientFunds: "skip" });
    expect([d.action, d.qty, d.reason]).toEqual(["skipped", "0", "INSUFFICIENT_FUNDS"]);
  });

  it("reports the first limit that bound when several do", () => {
    const d = run({ delta: "40", availableCash: "1000" });
    expect([d.action, d.qty, d.reason]).toEqual(["reduced", "5", "MAX_SYMBOL_EXPOSURE"]);
    expect(d.checks.filter((c) => !c.passed).map((c) => c.check)).toEqual([
      "symbol_exposure",
      "funds",
    ]);
  });

  it("while paused follows a flip only as far as flat", () => {
    const d = run({ status: "paused", position: "5", openPositions: 1, delta: "-8" });
    expect([d.action, d.qty, d.reason]).toEqual(["reduced", "-5", "PAUSED"]);
    expect(d.checks[0]).toMatchObject({ check: "reduce", passed: true });
  });

  it.each(["paused", "stopped"] as const)("while %s still follows reductions", (status) => {
    expect(run({ status, position: "5", openPositions: 1, delta: "-3" })).toMatchObject({
      action: "placed",
      qty: "-3",
      reason: "OK",
    });
  });

  it.each([
    [{ status: "stopped" as const }, "STOPPED"],
    [{ status: "paused" as const }, "PAUSED"],
    [{ leaderCopyable: false }, "LEADER_NOT_COPYABLE"],
    [{ breakerOpen: "broker:paper" }, "CIRCUIT_BREAKER"],
    [{ dailyLoss: "2000" }, "DAILY_LOSS_LIMIT"],
    [{ fillPrice: "192.00" }, "SLIPPAGE"], // 2 / 190 = 105 bps > 100
    [{ openPositions: 10 }, "MAX_OPEN_POSITIONS"],
  ])("skips an open with %j -> %s", (over, reason) => {
    const d = run(over);
    expect([d.action, d.qty, d.reason]).toEqual(["skipped", "0", reason]);
    // checks stop once nothing is left to check
    expect(d.checks.at(-1)?.passed).toBe(false);
  });

  it("lets a loss just under the daily limit through", () => {
    expect(run({ dailyLoss: "1999.99" }).action).toBe("placed");
  });

  it("measures slippage either way and accepts exactly the limit", () => {
    expect(run({ fillPrice: "188.00" }).reason).toBe("SLIPPAGE");
    expect(run({ fillPrice: "191.90" }).action).toBe("placed"); // exactly 100 bps
  });

  it("does not count a flip as a new position against the open-position limit", () => {
    // 10 open including this symbol, limit 10: the flip keeps the count at 10
    const d = run({ position: "2", openPositions: 10, delta: "-5" });
    expect([d.action, d.qty]).toEqual(["placed", "-5"]);
    // growing an existing position is not a new position either
    expect(run({ position: "2", openPositions: 10, delta: "3" }).action).toBe("placed");
  });

  it("skips an order below the minimum size but always sends a close to flat", () => {
    const small = { minNotional: "500" };
    expect(run({ ...small, delta: "2" })).toMatchObject({
      action: "skipped",
      reason: "BELOW_MIN_SIZE",
    });
    expect(run({ ...small, position: "1", openPositions: 1, delta: "-1" })).toMatchObject({
      action: "placed",
      qty: "-1",
    });
    // a partial reduction below the minimum is skipped: the residual is picked up later
    expect(run({ ...small, position: "3", openPositions: 1, delta: "-2" })).toMatchObject({
      action: "skipped",
      reason: "BELOW_MIN_SIZE",
    });
  });

  it("falls back to the close when a flip's remainder would be too small", () => {
    // position 1 → -1 is an order of -2 (notional 380) below 500; closing alone is allowed
    const d = run({ minNotional: "500", position: "1", openPositions: 1, delta: "-2" });
    expect([d.action, d.qty, d.reason]).toEqual(["reduced", "-1", "BELOW_MIN_SIZE"]);
  });

  it("keeps the first reason when a limit leaves an order below the minimum", () => {
    const d = run({ delta: "3", availableCash: "200", minQty: "2" });
    expect([d.action, d.qty, d.reason]).toEqual(["skipped", "0", "INSUFFICIENT_FUNDS"]);
    expect(d.checks.find((c) => c.check === "min_size")?.passed).toBe(false);
  });

  it("applies the multiplier to exposure, funds and minimum notional", () => {
    // futures: 4000 × 50 = 200000 per contract
    const fut = {
      fillPrice: "4000",
      leaderPrice: "4000",
      multiplier: "50",
      maxSymbolExposure: "500000",
      availableCash: "1000000",
    };
    expect(run({ ...fut, delta: "5" }).qty).toBe("2");
    expect(run({ ...fut, delta: "5", maxSymbolExposure: null, availableCash: "450000" }).qty).toBe(
      "2",
    );
  });

  it("handles short increases symmetrically", () => {
    const d = run({ delta: "-40", fillPrice: "189.98" });
    expect([d.action, d.qty, d.reason]).toEqual(["reduced", "-31", "MAX_SYMBOL_EXPOSURE"]);
  });

  it("treats absent limits as no limit", () => {
    const d = run({
      delta: "100",
      maxSymbolExposure: undefined,
      maxOpenPositions: null,
      maxSlippageBps: undefined,
      dailyLossLimit: undefined,
      fillPrice: "150",
    });
    expect([d.action, d.qty]).toEqual(["placed", "100"]);
    expect(d.checks.map((c) => c.check)).toEqual([
      "status",
      "leader_copyable",
      "circuit_breaker",
      "funds",
      "min_size",
    ]);
  });

  it("sends only the close when an off-step position would make a flip off-step", () => {
    const d = run({ position: "2.5", openPositions: 1, delta: "-5.5" });
    expect([d.action, d.qty, d.reason]).toEqual(["reduced", "-2.5", "BELOW_MIN_SIZE"]);
  });

  it("rejects nonsense inputs with a coded error", () => {
    expect(() => decide({ ...base, fillPrice: "0" })).toThrow(DomainError);
    expect(() => decide({ ...base, qtyStep: "-1" })).toThrow(/qtyStep/);
    expect(() => decide({ ...base, openPositions: -1 })).toThrow(/openPositions/);
    expect(() => decide({ ...base, leaderPrice: "0" })).toThrow(/leaderPrice/);
  });
});

describe("REASONS", () => {
  it("is the closed list from the replay format plus engine codes", () => {
    expect(REASONS).toHaveLength(15);
    expect(isReason("LEADER_STRATEGY_CHANGE")).toBe(true);
    expect(isReason("SLIPPAGE")).toBe(true);
    expect(isReason("slippage")).toBe(false);
  });
});

// ---------------------------------------------------------------- properties

const units = (max: number) => fc.integer({ min: -max, max });
const price = fc.integer({ min: 1, max: 20_000 }).map((n) => fmt(D(n).div(100)));

const riskInput: fc.Arbitrary<RiskInput> = fc
  .record({
    // weighted toward inputs where an increase can get through, so the limit checks are exercised
    status: fc.constantFrom<RiskInput["status"]>(
      "active",
      "active",
      "active",
      "active",
      "paused",
      "stopped",
    ),
    leaderCopyable: fc.constantFrom(true, true, true, true, false),
    breakerOpen: fc.constantFrom<string | null>(null, null, null, null, null, null, null, "broker"),
    step: fc.constantFrom("1", "0.1", "0.5", "0.001"),
    posUnits: units(200),
    deltaUnits: units(200),
    offStep: fc.boolean(),
    fillPrice: price,
    slipBps: fc.integer({ min: -150, max: 150 }),
    multiplier: fc.constantFrom("1", "1", "10", "0.1"),
    minQtyUnits: fc.integer({ min: 0, max: 5 }),
    minNotional: fc.constantFrom("0", "1", "100", "1000"),
    commissionPerUnit: fc.constantFrom("0", "0.005", "1"),
    availableCash: fc.integer({ min: -1000, max: 300_000 }).map(String),
    otherPositions: fc.integer({ min: 0, max: 6 }),
    maxSymbolExposure: fc.option(fc.integer({ min: 0, max: 300_000 }).map(String)),
    maxOpenPositions: fc.option(fc.integer({ min: 0, max: 6 })),
    maxSlippageBps: fc.option(fc.integer({ min: 0, max: 500 })),
    dailyLossLimit: fc.option(fc.integer({ min: 0, max: 5000 }).map(String)),
    dailyLoss: fc.integer({ min: -1000, max: 1000 }).map(String),
    onInsufficientFunds: fc.constantFrom("reduce", "skip") as fc.Arbitrary<"reduce" | "skip">,
  })
  .map((r) => {
    const position = D(r.step)
      .times(r.posUnits)
      .plus(r.offStep ? D(r.step).div(4) : 0);
    return {
      status: r.status,
      leaderCopyable: r.leaderCopyable,
      breakerOpen: r.breakerOpen,
      position: fmt(position),
      delta: fmt(D(r.step).times(r.deltaUnits)),
      fillPrice: r.fillPrice,
      leaderPrice: fmt(D(r.fillPrice).times(D(10000).plus(r.slipBps)).div(10000)),
      multiplier: r.multiplier,
      qtyStep: r.step,
      minQty: fmt(D(r.step).times(r.minQtyUnits)),
      minNotional: r.minNotional,
      commissionPerUnit: r.commissionPerUnit,
      availableCash: r.availableCash,
      openPositions: r.otherPositions + (position.isZero() ? 0 : 1),
      maxSymbolExposure: r.maxSymbolExposure,
      maxOpenPositions: r.maxOpenPositions,
      maxSlippageBps: r.maxSlippageBps,
      dailyLossLimit: r.dailyLossLimit,
      dailyLoss: r.dailyLoss,
      onInsufficientFunds: r.onInsufficientFunds,
    };
  });

describe("decide: properties", () => {
  it("orders no more than asked, in the same direction", () => {
    fc.assert(
      fc.property(riskInput, (input) => {
        const q = decide(input).orderQty;
        expect(q.abs().lte(D(input.delta).abs())).toBe(true);
        expect(sign(q) === 0 || sign(q) === sign(input.delta)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("is on the step, or leaves the follower flat", () => {
    fc.assert(
      fc.property(riskInput, (input) => {
        const q = decide(input).orderQty;
        const flat = D(input.position).plus(q).isZero();
        expect(flat || isOnStep(q, input.qtyStep)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("never grows a position past any limit", () => {
    fc.assert(
      fc.property(riskInput, (input) => {
        const q = decide(input).orderQty;
        const pos = D(input.position);
        const { reduce, increase } = splitReduceIncrease(pos, q);
        if (increase.isZero()) return;
        const unit = D(input.fillPrice).times(input.multiplier);
        const after = pos.plus(q);
        expect(input.status).toBe("active");
        expect(input.leaderCopyable).toBe(true);
        expect(input.breakerOpen).toBeNull();
        if (input.dailyLossLimit != null)
          expect(D(input.dailyLoss!).lt(input.dailyLossLimit)).toBe(true);
        if (input.maxSlippageBps != null) {
          const bps = D(input.fillPrice)
            .minus(input.leaderPrice)
            .abs()
            .div(input.leaderPrice)
            .times(10000);
          expect(bps.lte(input.maxSlippageBps)).toBe(true);
        }
        if (input.maxSymbolExposure != null) {
          expect(after.abs().times(unit).lte(input.maxSymbolExposure)).toBe(true);
        }
        if (input.maxOpenPositions != null && pos.plus(reduce).isZero()) {
          const others = input.openPositions - (pos.isZero() ? 0 : 1);
          expect(others).toBeLessThan(input.maxOpenPositions);
        }
        const cost = increase.abs().times(unit.plus(input.commissionPerUnit));
        expect(cost.lte(input.availableCash)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it("never blocks a reduction that is large enough or closes the position", () => {
    fc.assert(
      fc.property(riskInput, (input) => {
        const pos = D(input.position);
        const { increase } = splitReduceIncrease(pos, input.delta);
        if (!increase.isZero() || D(input.delta).isZero()) return;
        const q = D(input.delta);
        const flat = pos.plus(q).isZero();
        const bigEnough =
          q.abs().gte(input.minQty) &&
          q.abs().times(input.fillPrice).times(input.multiplier).gte(input.minNotional);
        if (!flat && !(bigEnough && isOnStep(q, input.qtyStep))) return;
        const d = decide(input);
        expect(d.orderQty.eq(q)).toBe(true);
        expect([d.action, d.reason]).toEqual(["placed", "OK"]);
      }),
      { numRuns: 3000 },
    );
  });

  it("never increases exposure while paused or stopped", () => {
    fc.assert(
      fc.property(riskInput, fc.constantFrom("paused", "stopped" as const), (input, status) => {
        const pos = D(input.position);
        const after = pos.plus(decide({ ...input, status }).orderQty);
        expect(after.abs().lte(pos.abs())).toBe(true);
        expect(sign(after) === 0 || sign(after) === sign(pos)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("reports action and reason consistently", () => {
    fc.assert(
      fc.property(riskInput, (input) => {
        const d = decide(input);
        expect(REASONS).toContain(d.reason);
        if (D(input.delta).isZero()) expect(d.action).toBe("none");
        else if (d.orderQty.eq(input.delta)) expect([d.action, d.reason]).toEqual(["placed", "OK"]);
        else {
          expect(d.action).toBe(d.orderQty.isZero() ? "skipped" : "reduced");
          expect(d.reason).not.toBe("OK");
          // the reason is the first failed check's
          expect(d.checks.some((c) => !c.passed)).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("cuts to the largest quantity that fits when only funds bind", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        price,
        fc.integer({ min: 0, max: 100_000 }),
        fc.constantFrom("1", "0.1", "0.25"),
        (n, p, cash, step) => {
          const delta = D(step).times(n);
          const d = decide({
            ...base,
            delta: fmt(delta),
            fillPrice: p,
            leaderPrice: p,
            qtyStep: step,
            minQty: "0",
            minNotional: "0",
            availableCash: String(cash),
            maxSymbolExposure: null,
          });
          const cost = (q: ReturnType<typeof D>) => q.abs().times(D(p).plus("0.005"));
          expect(cost(d.orderQty).lte(cash)).toBe(true);
          if (!d.orderQty.eq(delta)) expect(cost(d.orderQty.plus(step)).gt(cash)).toBe(true);
        },
      ),
    );
  });
});

describe("copyStopLossHit", () => {
  it("hits at −pct % of the reference capital, not before", () => {
    expect(copyStopLossHit({ pnl: "-4000", referenceCapital: "10000", pct: "40" })).toBe(true);
    expect(copyStopLossHit({ pnl: "-3999.99", referenceCapital: "10000", pct: "40" })).toBe(false);
    expect(copyStopLossHit({ pnl: "-4500", referenceCapital: "10000", pct: "40" })).toBe(true);
    expect(copyStopLossHit({ pnl: "100", referenceCapital: "10000", pct: "40" })).toBe(false);
    expect(copyStopLossHit({ pnl: "-125", referenceCapital: "2500", pct: "5" })).toBe(true);
  });

  it("refuses a non-positive reference or percentage", () => {
    expect(() => copyStopLossHit({ pnl: "0", referenceCapital: "0", pct: "40" })).toThrow(
      DomainError,
    );
    expect(() => copyStopLossHit({ pnl: "0", referenceCapital: "100", pct: "0" })).toThrow(
      DomainError,
    );
  });

  it("is monotone in pnl (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -20_000, max: 20_000 }),
        fc.integer({ min: 0, max: 5_000 }),
        fc.integer({ min: 1, max: 100 }),
        (pnl, worse, pct) => {
          const args = { referenceCapital: "10000", pct: String(pct) };
          if (copyStopLossHit({ ...args, pnl: String(pnl) })) {
            expect(copyStopLossHit({ ...args, pnl: String(pnl - worse) })).toBe(true);
          }
          expect(copyStopLossHit({ ...args, pnl: String(pnl) })).toBe(pnl <= -100 * pct);
        },
      ),
    );
  });
});

/*
 * decide runs on scaled integers (fixed.ts); these hold its numbers to decimal.js computed
 * here independently: the largest step multiple that fits a limit, by exact division to
 * an integer, and the costs the checks report.
 */
describe("decide: the numbers are decimal.js's", () => {
  const places = (max: bigint, scale: number) =>
    fc.bigInt({ min: 0n, max }).map((n) => D(n.toString()).div(D(10).pow(scale)).toFixed());
  const cut = fc.record({
    step: fc.constantFrom("1", "0.01", "0.001", "0.5", "0.25", "5"),
    held: fc.integer({ min: 0, max: 400 }),
    asked: fc.integer({ min: 1, max: 4000 }),
    fillPrice: places(10n ** 9n, 6).filter((p) => D(p).gt(0)),
    multiplier: fc.constantFrom("1", "0.1", "50", "0.001"),
    commission: places(10n ** 4n, 4),
    cash: fc.oneof(places(10n ** 12n, 2), places(10n ** 30n, 20)),
    exposure: fc.option(places(10n ** 12n, 3), { nil: null }),
    minQty: fc.constantFrom("0", "1", "0.01"),
    minNotional: fc.constantFrom("0", "1", "10"),
    policy: fc.constantFrom("reduce", "skip") as fc.Arbitrary<"reduce" | "skip">,
  });

  it("cuts an increase to the largest step multiple within exposure and funds", () => {
    fc.assert(
      fc.property(cut, (c) => {
        const step = D(c.step);
        const position = step.times(c.held);
        const delta = step.times(c.asked);
        const d = decide({
          ...base,
          position: position.toFixed(),
          delta: delta.toFixed(),
          fillPrice: c.fillPrice,
          multiplier: c.multiplier,
          qtyStep: c.step,
          minQty: c.minQty,
          minNotional: c.minNotional,
          commissionPerUnit: c.commission,
          availableCash: c.cash,
          openPositions: c.held ? 1 : 0,
          maxSymbolExposure: c.exposure,
          maxOpenPositions: null,
          maxSlippageBps: null,
          dailyLossLimit: null,
          dailyLoss: null,
          onInsufficientFunds: c.policy,
        });
        const unit = D(c.fillPrice).times(c.multiplier);
        const perUnit = unit.plus(c.commission);
        let k = D(c.asked);
        if (c.exposure !== null && position.plus(delta).times(unit).gt(c.exposure)) {
          const room = D(c.exposure).minus(position.times(unit));
          k = room.lte(0) ? D(0) : Decimal.min(k, room.divToInt(step.times(unit)));
        }
        let detail = `cost ${fmt(step.times(k).times(perUnit))} within available ${fmt(c.cash)}`;
        if (step.times(k).times(perUnit).gt(c.cash)) {
          detail = `cost ${fmt(step.times(k).times(perUnit))} exceeds available ${fmt(c.cash)}`;
          k = c.policy === "skip" ? D(0) : Decimal.min(k, D(c.cash).divToInt(step.times(perUnit)));
        }
        let q = step.times(k);
        if (q.gt(0) && (q.lt(c.minQty) || q.times(unit).lt(c.minNotional))) q = D(0);
        expect(fmt(d.orderQty)).toBe(fmt(q));
        expect(d.action).toBe(q.eq(delta) ? "placed" : q.isZero() ? "skipped" : "reduced");
        const funds = d.checks.find((x) => x.check === "funds");
        if (funds) expect(funds.detail.startsWith(detail)).toBe(true);
      }),
      { numRuns: 3000, seed: 20261202 },
    );
  });
});
