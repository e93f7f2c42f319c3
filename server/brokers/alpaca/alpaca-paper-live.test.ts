import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb } from "../../../test/db";
import { instrumentAliases, instruments } from "../../../db/schema/instruments";
import { drainEvents, newClientOrderId } from "../contract/contract-suite";
import { BrokerNotFoundError, type OrderRequest } from "../types";
import { ALPACA_PAPER_STREAM, ALPACA_PAPER_URL, AlpacaBroker } from "./adapter";

/**
 * The safe subset of the contract against Alpaca's real paper API: one tiny BTC/USD limit
 * buy far below the market (it cannot fill), cancelled at once; reads of account, positions
 * and assets. Runs only with ALPACA_PAPER_KEY_ID and ALPACA_PAPER_SECRET set.
 */

const keyId = process.env.ALPACA_PAPER_KEY_ID;
const secretKey = process.env.ALPACA_PAPER_SECRET;
const enabled = Boolean(keyId && secretKey);
if (!enabled)
  console.log(
    "alpaca paper API: SKIPPED (set ALPACA_PAPER_KEY_ID and ALPACA_PAPER_SECRET to run against paper-api.alpaca.markets)",
  );

describe.skipIf(!enabled)("broker contract, safe subset: Alpaca paper API", () => {
  const ACCOUNT = "alpaca-paper";
  let t: Awaited<ReturnType<typeof createTestDb>>;
  let broker: AlpacaBroker;
  beforeAll(async () => {
    t = await createTestDb();
    await t.db.insert(instruments).values({
      symbol: "BTC-USD",
      name: "Bitcoin",
      assetClass: "crypto",
      currency: "USD",
      tickSize: "0.01",
      qtyStep: "0.000000001",
      minQty: "0.000027",
      minNotional: "1",
      tradingHours: { timeZone: "UTC", sessions: [] },
    });
    await t.db
      .insert(instrumentAliases)
      .values({ broker: "alpaca", brokerSymbol: "BTC/USD", symbol: "BTC-USD" });
    broker = new AlpacaBroker({
      db: t.db,
      baseUrl: process.env.ALPACA_PAPER_URL ?? ALPACA_PAPER_URL,
      streamUrl: process.env.ALPACA_PAPER_STREAM ?? ALPACA_PAPER_STREAM,
      credentials: async () => ({ keyId: keyId!, secretKey: secretKey! }),
    });
  });
  afterAll(async () => {
    await broker?.close();
    await t?.drop();
  });

  it("verifies the account and reads buying power and positions", async () => {
    const v = await broker.verifyAccount(ACCOUNT);
    expect(v.status).toBeTruthy();
    const a = await broker.getAccount(ACCOUNT);
    expect(a.buyingPower).toMatch(/^\d+(\.\d+)?$/);
    expect(Array.isArray(await broker.getPositions(ACCOUNT))).toBe(true);
    console.log(
      "alpaca paper API: catalogue findings",
      await broker.checkCatalogue(ACCOUNT, ["BTC-USD"]),
    );
  });

  it("a tiny limit buy far below the market rests, is found by client order id, and is cancelled at once", async () => {
    const req: OrderRequest = {
      accountId: ACCOUNT,
      clientOrderId: newClientOrderId("tandem-live"),
      symbol: "BTC-USD",
      side: "buy",
      type: "limit",
      qty: "0.002",
      limitPrice: "1000.00",
    };
    const placed = await broker.placeOrder(req);
    try {
      expect(placed.symbol).toBe("BTC-USD");
      expect((await broker.placeOrder(req)).brokerOrderId).toBe(placed.brokerOrderId);
      expect((await broker.getOrder(ACCOUNT, req.clientOrderId))?.brokerOrderId).toBe(
        placed.brokerOrderId,
      );
    } finally {
      const cancelled = await broker.cancelOrder(ACCOUNT, req.clientOrderId);
      expect(["cancelled", "accepted"]).toContain(cancelled.status);
    }
    expect(await broker.getOrder(ACCOUNT, `${req.clientOrderId}-none`)).toBeNull();
    await expect(broker.cancelOrder(ACCOUNT, `${req.clientOrderId}-none`)).rejects.toBeInstanceOf(
      BrokerNotFoundError,
    );
    const events = await drainEvents(broker, ACCOUNT);
    expect(events.some((e) => e.clientOrderId === req.clientOrderId)).toBe(true);
  });
});
