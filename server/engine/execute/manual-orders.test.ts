import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { createTestDb } from "../../../test/db";
import { paperEngine } from "../testing/test-world";
import { orders, users } from "../../../db/schema";
import { PaperBroker } from "../../brokers/paper";
import { ManualClock } from "../../domain/clock";
import { openPaperAccount } from "../copies/onboarding";
import { type EngineDeps } from "../deps";
import { engineDepsForWeb } from "../web-deps";
import { applyPaperTransfers } from "./transfers";
import { placeManualOrder } from "./manual-orders";

/**
 * What the server refuses before "sent", whoever sends the order (ticket, portfolio, API):
 * a closed market, a limit far from the market, an order with no price to value it, and a buy
 * costing more than the account's cash. Each refusal names its field and records nothing.
 */
let t: Awaited<ReturnType<typeof createTestDb>>;
let deps: EngineDeps;
let paper: PaperBroker;
let account: string;
let userId: string;
const clock = new ManualClock(new Date("2026-03-03T15:00:00Z")); // a Tuesday, 10:00 in New York

beforeAll(async () => {
  t = await createTestDb();
  ({ paper, deps } = await paperEngine(t.db, clock, "manual", {
    symbol: "SPY",
    bid: "499.95",
    ask: "500.05",
  }));
  const [u] = await t.db
    .insert(users)
    .values({ email: "f@x.test", passwordHash: "!", displayName: "F", role: "follower" })
    .returning();
  userId = u!.id;
  account = await openPaperAccount(t.db, userId, "10000");
  await applyPaperTransfers(deps, paper);
});
afterAll(() => t.drop());

const web = () => ({ ...engineDepsForWeb(t.db), clock });
const order = (o: Partial<Parameters<typeof placeManualOrder>[1]>) =>
  placeManualOrder(web(), {
    brokerAccountId: account,
    userId,
    symbol: "SPY",
    side: "buy",
    type: "market",
    qty: "1",
    ...o,
  });

describe("a person's order is refused before it is sent", () => {
  it("when the account cannot pay for it, in money, naming the quantity", async () => {
    await expect(order({ qty: "100000000" })).rejects.toMatchObject({
      code: "INSUFFICIENT_FUNDS",
      message: expect.stringMatching(
        /^qty: this would cost about 500055\d{5}\.\d\d USD; the account's buying power is 10000\.00 USD\.$/,
      ),
    });
    // Twenty units at the ask cost 10 001 plus commission: one more than the cash.
    await expect(order({ qty: "20" })).rejects.toMatchObject({ code: "INSUFFICIENT_FUNDS" });
    await expect(order({ qty: "19" })).resolves.toMatchObject({ orderId: expect.any(String) });
  });

  it("when the limit is far from the market", async () => {
    await expect(order({ type: "limit", limitPrice: "5000" })).rejects.toMatchObject({
      code: "INVALID_PRICE",
      message: expect.stringMatching(/^limitPrice: must be within 25 % of the last price/),
    });
  });

  it("when there is no price to value it", async () => {
    await expect(order({ symbol: "QQQ" })).rejects.toMatchObject({
      code: "NO_PRICE",
      message: expect.stringMatching(/^symbol: there is no price for QQQ yet/),
    });
  });

  it("when the market is closed, and it records nothing", async () => {
    clock.set(new Date("2026-03-07T15:00:00Z")); // a Saturday
    const before = await t.db.select().from(orders).where(eq(orders.brokerAccountId, account));
    await expect(order({})).rejects.toMatchObject({
      code: "MARKET_CLOSED",
      message: expect.stringMatching(/^symbol: the market for SPY is closed now/),
    });
    const after = await t.db.select().from(orders).where(eq(orders.brokerAccountId, account));
    expect(after).toHaveLength(before.length);
  });
});
