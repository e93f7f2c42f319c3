import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { D, DomainError, fmt } from "./money";
import {
  ORDER_EVENTS,
  ORDER_STATES,
  TRANSITIONS,
  applyFill,
  applyFillToPosition,
  canTransition,
  isOpen,
  isTerminal,
  transition,
  type OrderEvent,
  type OrderState,
} from "./order-state";

const walk = (events: OrderEvent[], from: OrderState = "pending_submit") =>
  events.reduce<OrderState>((s, e) => transition(s, e), from);

describe("transition: lifecycles", () => {
  it("submit, accept, partial, fill", () => {
    expect(walk(["submit", "accept", "fill_partial", "fill_partial", "fill"])).toBe("filled");
  });

  it("a market order may fill before its accept arrives; the late accept changes nothing", () => {
    expect(walk(["submit", "fill_partial", "accept"])).toBe("partially_filled");
    expect(walk(["submit", "fill", "accept"])).toBe("filled");
  });

  it("a timeout is resolved by asking, then resubmitted with the same id if absent", () => {
    expect(walk(["submit", "timeout"])).toBe("unknown");
    expect(walk(["submit", "timeout", "resolve_not_found"])).toBe("pending_submit");
    expect(walk(["submit", "timeout", "resolve_not_found", "submit", "accept"])).toBe("accepted");
    expect(walk(["submit", "timeout", "fill"])).toBe("filled");
    expect(walk(["submit", "timeout", "reject"])).toBe("rejected");
  });

  it("an error before accept goes back to pending_submit for a retry", () => {
    expect(walk(["submit", "submit_failed", "submit", "accept"])).toBe("accepted");
  });

  it("accepts a late report after 'not found': the broker had it after all", () => {
    expect(walk(["submit", "timeout", "resolve_not_found", "fill"])).toBe("filled");
  });

  it("accepts late fills after a cancel request", () => {
    expect(walk(["submit", "accept", "cancel_request", "fill"])).toBe("filled");
    expect(walk(["submit", "accept", "cancel_request", "fill_partial"])).toBe("pending_cancel");
    expect(walk(["submit", "accept", "cancel_request", "fill_partial", "cancel"])).toBe(
      "cancelled",
    );
  });

  it("accepts late fills after the cancel itself", () => {
    expect(walk(["submit", "accept", "cancel_request", "cancel", "fill"])).toBe("filled");
    // a partial late fill keeps the order cancelled: its remainder is not working
    expect(walk(["submit", "accept", "cancel", "fill_partial"])).toBe("cancelled");
    expect(walk(["submit", "accept", "expire", "fill_partial"])).toBe("expired");
  });

  it("returns from a refused cancel to the state the fills imply", () => {
    const pc = walk(["submit", "accept", "cancel_request"]);
    expect(transition(pc, "cancel_reject")).toBe("accepted");
    expect(transition(pc, "cancel_reject", { hasFills: true })).toBe("partially_filled");
    expect(walk(["submit", "accept", "cancel_request", "fill", "cancel_reject"])).toBe("filled");
  });

  it("treats duplicate reports as no-ops", () => {
    expect(walk(["submit", "accept", "accept"])).toBe("accepted");
    expect(walk(["submit", "accept", "cancel", "cancel"])).toBe("cancelled");
    expect(walk(["submit", "reject", "reject"])).toBe("rejected");
  });

  it.each([
    ["rejected", "fill"],
    ["rejected", "accept"],
    ["filled", "fill"],
    ["filled", "fill_partial"],
    ["filled", "cancel"],
    ["accepted", "submit"],
    ["accepted", "reject"],
    ["pending_submit", "timeout"],
    ["unknown", "cancel_request"],
    ["partially_filled", "resolve_not_found"],
  ] as const)("refuses %s + %s", (state, event) => {
    expect(canTransition(state, event)).toBe(false);
    let err: unknown;
    try {
      transition(state, event);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).code).toBe("INVALID_TRANSITION");
    expect((err as DomainError).message).toContain(state);
  });

  it("knows which states are terminal and which still count as open quantity", () => {
    expect(ORDER_STATES.filter(isTerminal)).toEqual(["filled", "cancelled", "rejected", "expired"]);
    expect(isOpen("unknown")).toBe(true);
    expect(isOpen("pending_cancel")).toBe(true);
    expect(isOpen("cancelled")).toBe(false);
  });
});

describe("transition: properties", () => {
  const event = fc.constantFrom(...ORDER_EVENTS);
  const state = fc.constantFrom(...ORDER_STATES);

  it("is exactly the table: throws off it, returns a state on it", () => {
    fc.assert(
      fc.property(state, event, (s, e) => {
        if (TRANSITIONS[s][e] === undefined) expect(() => transition(s, e)).toThrow(DomainError);
        else expect(ORDER_STATES).toContain(transition(s, e));
      }),
    );
  });

  it("never leaves a terminal state for a working one, and filled/rejected are final", () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 30 }), (events) => {
        let s: OrderState = "pending_submit";
        let wasTerminal = false;
        for (const e of events) {
          if (!canTransition(s, e)) continue;
          const prev = s;
          s = transition(s, e, { hasFills: true });
          if (wasTerminal) expect(isTerminal(s)).toBe(true);
          if (prev === "filled" || prev === "rejected") expect(s).toBe(prev);
          wasTerminal = isTerminal(s);
        }
      }),
    );
  });

  it("a fill report is never refused while the order may exist and is not filled", () => {
    fc.assert(
      fc.property(state, (s) => {
        const mayFill = s !== "rejected" && s !== "filled";
        expect(canTransition(s, "fill")).toBe(mayFill);
        expect(canTransition(s, "fill_partial")).toBe(mayFill);
      }),
    );
  });
});

describe("applyFill", () => {
  it("volume-weights the average price", () => {
    const a = applyFill({ qty: "10", filledQty: "0" }, { qty: "4", price: "100" });
    expect([fmt(a.filledQty), fmt(a.avgPrice), a.complete]).toEqual(["4", "100", false]);
    const b = applyFill(
      { qty: "10", filledQty: a.filledQty, avgPrice: a.avgPrice },
      { qty: "6", price: "105" },
    );
    // (4 × 100 + 6 × 105) / 10 = 103
    expect([fmt(b.filledQty), fmt(b.avgPrice), b.complete, fmt(b.remainingQty)]).toEqual([
      "10",
      "103",
      true,
      "0",
    ]);
  });

  it("refuses an over-fill and nonsense fills", () => {
    expect(() =>
      applyFill({ qty: "10", filledQty: "8", avgPrice: "1" }, { qty: "3", price: "1" }),
    ).toThrow(/exceed/);
    expect(() => applyFill({ qty: "10", filledQty: "0" }, { qty: "0", price: "1" })).toThrow(
      DomainError,
    );
    expect(() => applyFill({ qty: "10", filledQty: "0" }, { qty: "1", price: "0" })).toThrow(
      DomainError,
    );
  });

  it("sums quantities and keeps the average within the fill prices (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 100_000 })), {
          minLength: 1,
          maxLength: 10,
        }),
        (fills) => {
          const total = fills.reduce((a, [q]) => a + q, 0);
          let o = { qty: D(total), filledQty: D(0), avgPrice: D(0), complete: false };
          let notional = D(0);
          for (const [q, p] of fills) {
            const price = D(p).div(100);
            notional = notional.plus(price.times(q));
            o = { qty: o.qty, ...applyFill(o, { qty: String(q), price }) };
          }
          expect(o.filledQty.eq(total)).toBe(true);
          expect(o.complete).toBe(true);
          const prices = fills.map(([, p]) => p / 100);
          expect(o.avgPrice.gte(Math.min(...prices)) && o.avgPrice.lte(Math.max(...prices))).toBe(
            true,
          );
          expect(o.avgPrice.times(total).minus(notional).abs().lt("1e-40")).toBe(true);
        },
      ),
    );
  });
});

describe("applyFillToPosition", () => {
  const flat = { qty: "0", avgCost: "0", realizedPnl: "0" };
  const apply = (
    pos: { qty: string; avgCost: string; realizedPnl: string },
    q: string,
    p: string,
    m = "1",
  ) => {
    const r = applyFillToPosition(pos, { signedQty: q, price: p, multiplier: m });
    return {
      qty: fmt(r.qty),
      avgCost: fmt(r.avgCost),
      realizedPnl: fmt(r.realizedPnl),
      delta: fmt(r.realizedPnlDelta),
    };
  };

  it("re-averages on adds", () => {
    const a = apply(flat, "10", "100");
    const b = apply(a, "10", "110");
    expect(b).toEqual({ qty: "20", avgCost: "105", realizedPnl: "0", delta: "0" });
  });

  it("realizes on a partial close and keeps the cost of the rest", () => {
    const pos = { qty: "20", avgCost: "105", realizedPnl: "0" };
    expect(apply(pos, "-5", "120")).toEqual({
      qty: "15",
      avgCost: "105",
      realizedPnl: "75",
      delta: "75",
    });
  });

  it("closes to flat with zero cost", () => {
    const pos = { qty: "15", avgCost: "105", realizedPnl: "75" };
    expect(apply(pos, "-15", "100")).toEqual({
      qty: "0",
      avgCost: "0",
      realizedPnl: "0",
      delta: "-75",
    });
  });

  it("flips: closes the long at a profit, opens the short at the fill price", () => {
    const pos = { qty: "10", avgCost: "50", realizedPnl: "0" };
    expect(apply(pos, "-15", "60")).toEqual({
      qty: "-5",
      avgCost: "60",
      realizedPnl: "100",
      delta: "100",
    });
  });

  it("profits on a short when price falls, with the multiplier", () => {
    const pos = { qty: "-2", avgCost: "4000", realizedPnl: "0" };
    // 2 × (4000 − 3990) × 50 = 1000
    expect(apply(pos, "2", "3990", "50")).toEqual({
      qty: "0",
      avgCost: "0",
      realizedPnl: "1000",
      delta: "1000",
    });
  });

  it("realized + unrealized equals the cash-flow P&L for any fill sequence (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: -50, max: 50 }), fc.integer({ min: 1, max: 10_000 })), {
          maxLength: 15,
        }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.constantFrom("1", "50", "0.1"),
        (fills, markCents, mult) => {
          let pos = { qty: D(0), avgCost: D(0), realizedPnl: D(0) };
          let cash = D(0);
          let qty = D(0);
          for (const [q, cents] of fills) {
            const price = D(cents).div(100);
            cash = cash.minus(price.times(q).times(mult));
            qty = qty.plus(q);
            const r = applyFillToPosition(pos, { signedQty: String(q), price, multiplier: mult });
            pos = { qty: r.qty, avgCost: r.avgCost, realizedPnl: r.realizedPnl };
          }
          const mark = D(markCents).div(100);
          const cashPnl = cash.plus(qty.times(mark).times(mult));
          const bookPnl = pos.realizedPnl.plus(mark.minus(pos.avgCost).times(pos.qty).times(mult));
          expect(pos.qty.eq(qty)).toBe(true);
          expect(cashPnl.minus(bookPnl).abs().lt("1e-30")).toBe(true);
          if (pos.qty.isZero()) expect(pos.avgCost.isZero()).toBe(true);
        },
      ),
    );
  });
});

/*
 * The booking's rules moved from decimal.js objects to scaled integers (ADR 0041, session
 * 11). The formulas as decimal.js wrote them, kept here only as the oracle: every number the
 * scaled-integer rules give must be the one these give, digit for digit.
 */
describe("fill and position rules on scaled integers give decimal.js's numbers", () => {
  const oracleFill = (qty: string, filled: string, avg: string | null, fq: string, p: string) => {
    const f = D(filled);
    const newFilled = f.plus(fq);
    const prev = f.isZero() ? D(0) : D(avg ?? 0);
    return {
      filledQty: fmt(newFilled),
      avgPrice: fmt(prev.times(f).plus(D(p).times(fq)).div(newFilled)),
      complete: newFilled.eq(qty),
      remainingQty: fmt(D(qty).minus(newFilled)),
    };
  };
  const oraclePosition = (
    q0: string,
    avg0: string,
    r0: string,
    s0: string,
    p0: string,
    m0: string,
  ) => {
    const q = D(q0);
    const avg = D(avg0);
    const realized = D(r0);
    const s = D(s0);
    const price = D(p0);
    const mult = D(m0);
    const out = (qty: typeof q, a: typeof q, delta: typeof q) => ({
      qty: fmt(qty.isZero() ? 0 : qty),
      avgCost: fmt(qty.isZero() ? 0 : a),
      realizedPnl: fmt(realized.plus(delta)),
      realizedPnlDelta: fmt(delta),
    });
    const newQty = q.plus(s);
    if (s.isZero()) return out(q, avg, D(0));
    if (q.isZero() || q.isNeg() === s.isNeg()) {
      const cost = q.abs().times(avg).plus(s.abs().times(price));
      return out(newQty, cost.div(newQty.abs()), D(0));
    }
    const closed = s.abs().lt(q.abs()) ? s.abs() : q.abs();
    const pnl = price
      .minus(avg)
      .times(closed)
      .times(mult)
      .times(q.isNeg() ? -1 : 1);
    return out(newQty, !newQty.isZero() && newQty.isNeg() === q.isNeg() ? avg : price, pnl);
  };
  const amount = (max: bigint, scale: number) =>
    fc.bigInt({ min: 1n, max }).map((n) => fmt(D(n.toString()).div(10 ** scale)));
  const price = fc.oneof(amount(10n ** 7n, 2), amount(10n ** 12n, 8), fc.constant("100.01"));
  const qty = fc.oneof(amount(1000n, 0), amount(10n ** 9n, 6));

  it("accumulates fills into an order as before, partial fills and uneven averages included", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(qty, price), { minLength: 1, maxLength: 6 }), (fills) => {
        const total = fmt(fills.reduce((a, [q]) => a.plus(q), D(0)));
        let filled = "0";
        let avg: string | null = null;
        for (const [q, p] of fills) {
          const want = oracleFill(total, filled, avg, q, p);
          const got = applyFill(
            { qty: total, filledQty: filled, avgPrice: avg },
            { qty: q, price: p },
          );
          expect({
            filledQty: fmt(got.filledQty),
            avgPrice: fmt(got.avgPrice),
            complete: got.complete,
            remainingQty: fmt(got.remainingQty),
          }).toEqual(want);
          filled = want.filledQty;
          avg = want.avgPrice;
        }
      }),
      { numRuns: 500, seed: 20261203 },
    );
  });

  it("moves a position as before: adds, reductions, closes and flips, with multipliers", () => {
    const signed = fc.tuple(fc.boolean(), qty).map(([neg, q]) => (neg ? `-${q}` : q));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(signed, price), { minLength: 1, maxLength: 8 }),
        fc.constantFrom("1", "50", "0.1", "100"),
        (fills, mult) => {
          let pos = { qty: "0", avgCost: "0", realizedPnl: "0" };
          for (const [s, p] of fills) {
            const want = oraclePosition(pos.qty, pos.avgCost, pos.realizedPnl, s, p, mult);
            const got = applyFillToPosition(pos, { signedQty: s, price: p, multiplier: mult });
            expect({
              qty: fmt(got.qty),
              avgCost: fmt(got.avgCost),
              realizedPnl: fmt(got.realizedPnl),
              realizedPnlDelta: fmt(got.realizedPnlDelta),
            }).toEqual(want);
            pos = { qty: want.qty, avgCost: want.avgCost, realizedPnl: want.realizedPnl };
          }
        },
      ),
      { numRuns: 500, seed: 20261203 },
    );
  });
});
