import { describe, expect, it } from "vitest";
import { bookFills, cashAccount, type BookState } from "./bookkeeping";
import { feesReceivable } from "./fees";
import { fx } from "./fixed";

/*
 * The platform fee of a copy's fill (ADR 0060): at the paper broker it comes out of the
 * account's cash; at an external broker (Alpaca) Tandem cannot take cash, so it is owed and
 * the account's cash on our books keeps matching the broker's.
 */
function state(broker: string): BookState {
  return {
    orders: new Map([
      [
        "acct|c-1",
        {
          id: "o-1",
          brokerAccountId: "acct",
          clientOrderId: "c-1",
          relationshipId: "rel",
          symbol: "AAPL",
          side: "buy",
          qty: "10",
          filledQty: "0",
          avgPrice: null,
          status: "submitted",
          correlationId: "lf-1",
        },
      ],
    ]),
    positions: new Map(),
    copyPositions: new Map(),
    balances: new Map([["acct", { cash: fx("5000"), currency: "USD" }]]),
    instruments: new Map([["AAPL", { multiplier: "1", currency: "USD" }]]),
    accounts: new Map([["acct", { broker, userId: "u" }]]),
    platformFeeBps: new Map([["rel", "10"]]),
  };
}
const fill = {
  brokerAccountId: "acct",
  clientOrderId: "c-1",
  tradeId: "t-1",
  qty: "10",
  price: "200",
  commission: "0.05",
  at: new Date("2026-03-03T15:00:00Z"),
};

describe("the platform fee of a fill", () => {
  it("comes out of the cash at the paper broker", () => {
    const r = bookFills(state("paper"), [fill]);
    // 10 × 200 = 2 000 notional, 0.05 commission, 10 bps = 2.00 fee.
    expect(r.balances[0]!.cash).toBe("2997.95");
    const fee = r.journals.find((j) => j.kind === "fee")!;
    expect(fee.lines).toContainEqual(
      expect.objectContaining({ code: cashAccount("acct"), amount: "-2" }),
    );
    expect(r.fees).toMatchObject([{ kind: "platform", amount: "2" }]);
  });

  it("is owed at an external broker: the cash on our books stays the broker's", () => {
    const r = bookFills(state("alpaca"), [fill]);
    expect(r.balances[0]!.cash).toBe("2999.95");
    const fee = r.journals.find((j) => j.kind === "fee")!;
    expect(fee.lines).toContainEqual(
      expect.objectContaining({ code: feesReceivable("acct"), amount: "-2" }),
    );
    expect(fee.lines.map((l) => l.code)).not.toContain(cashAccount("acct"));
    expect(r.fees).toMatchObject([{ kind: "platform", amount: "2" }]);
  });
});

describe("a charge (a commission posted after the fills: a fill report of quantity 0)", () => {
  it("moves the cash and the copy's fees, never the order, a position or a platform fee", () => {
    const s = state("alpaca");
    const first = bookFills(s, [fill]);
    const order = { ...first.orders[0]! };
    const charge = { ...fill, tradeId: "cfee:1", qty: "0", price: "0", commission: "1.5" };
    const r = bookFills(s, [charge]);
    expect(r.booked).toBe(1);
    expect(r.orders).toEqual([]);
    expect(r.positions).toEqual([]);
    expect(s.orders.get("acct|c-1")).toMatchObject({
      filledQty: order.filledQty,
      avgPrice: order.avgPrice,
      status: order.status,
    });
    expect(r.balances[0]!.cash).toBe("2998.45");
    expect(r.copyPositions).toEqual([
      {
        relationshipId: "rel",
        symbol: "AAPL",
        qty: "10",
        avgCost: "200",
        realizedPnl: "0",
        fees: "1.55",
      },
    ]);
    expect(r.fees).toEqual([]);
    expect(r.journals).toHaveLength(1);
    expect(r.journals[0]).toMatchObject({
      kind: "commission",
      orderId: "o-1",
      relationshipId: "rel",
    });
    expect(r.journals[0]!.lines).toEqual([
      { code: cashAccount("acct"), amount: "-1.5", owner: "u" },
      { code: "broker:alpaca:commissions", amount: "1.5", owner: null },
    ]);
    // Booked like any fill report: its event carries it.
    expect(r.events[0]!.payload.fills).toContainEqual(
      expect.arrayContaining(["acct", "c-1", "cfee:1", "0", "0", "1.5"]),
    );
  });
});
