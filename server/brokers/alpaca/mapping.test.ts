import { describe, expect, it } from "vitest";
import { chargeFromFeeActivity, type AlpacaFeeActivity } from "./mapping";

const order = { clientOrderId: "c-1", symbol: "ETH-USD", side: "buy" as const };
const fee = (over: Partial<AlpacaFeeActivity>): AlpacaFeeActivity => ({
  id: "20261204010203004::5f596936-6f23-4cef-bdf1-3806aae57dbf",
  activity_type: "CFEE",
  created_at: "2026-12-04T01:02:03.004Z",
  net_amount: "-1.5",
  currency: "USD",
  symbol: "ETHUSD",
  group_id: "0b0d3c1e-9e5a-4a41-8d6c-2f1f0c3b9a10",
  status: "executed",
  ...over,
});

describe("Alpaca's crypto fees as charges", () => {
  it("a fee in cash is a charge on its order: quantity 0, the fee as the commission", () => {
    expect(chargeFromFeeActivity(fee({}), "acct", order)).toEqual({
      tradeId: "cfee:20261204010203004::5f596936-6f23-4cef-bdf1-3806aae57dbf",
      brokerOrderId: "0b0d3c1e-9e5a-4a41-8d6c-2f1f0c3b9a10",
      clientOrderId: "c-1",
      accountId: "acct",
      symbol: "ETH-USD",
      side: "buy",
      qty: "0",
      price: "0",
      commission: "1.5",
      at: new Date("2026-12-04T01:02:03.004Z"),
    });
  });

  it("a cancelled fee, or one taken in the coin (no cash moved), is no charge", () => {
    expect(chargeFromFeeActivity(fee({ status: "canceled" }), "acct", order)).toBeNull();
    expect(
      chargeFromFeeActivity(fee({ net_amount: "0", qty: "-0.0025" }), "acct", order),
    ).toBeNull();
  });
});
