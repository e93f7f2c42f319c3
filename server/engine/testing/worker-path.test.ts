import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq, sql } from "drizzle-orm";
import { createTestDb } from "../../../test/db";
import { insertUser, paperEngine } from "./test-world";
import { D } from "../../domain/money";
import {
  brokerAccounts,
  copyDecisions,
  copyPositions,
  equitySnapshots,
  leaders,
  orders,
  reconciliationItems,
} from "../../../db/schema";
import { PaperBroker } from "../../brokers/paper";
import { ManualClock } from "../../domain/clock";
import { pauseCopy, startCopy, stopCopy } from "../copies/intents";
import { type EngineDeps } from "../deps";
import { placeManualOrder, requestCancelOrder } from "../execute/manual-orders";
import { openPaperAccount } from "../copies/onboarding";
import { pump } from "../pump";
import { reconcile } from "../reconcile/reconcile";
import { snapshotEquity } from "../ops/snapshots";
import { traceOrder } from "../ops/trace";
import { applyPaperTransfers } from "../execute/transfers";
import { engineDepsForWeb } from "../web-deps";

/**
 * The production path, in process: a leader's trade ticket is an intent the worker sends to
 * the paper broker; the leader's fill comes back on the broker's event stream, becomes the
 * leader's stream, and is copied to a follower — with the worker's settings (accounts in
 * parallel, batch broker calls where the broker has them).
 */
let t: Awaited<ReturnType<typeof createTestDb>>;
let deps: EngineDeps;
let paper: PaperBroker;
const clock = new ManualClock(new Date("2026-03-03T15:00:00Z")); // a Tuesday, markets open

beforeAll(async () => {
  t = await createTestDb();
  ({ paper, deps } = await paperEngine(t.db, clock, "worker-path", {
    symbol: "AAPL",
    bid: "199.99",
    ask: "200.01",
  }));
});
afterAll(() => t.drop());

const user = (email: string, role: "leader" | "follower") => insertUser(t.db, email, role);

describe("worker path", () => {
  it("a leader's ticket is executed, ingested and copied; cancels and stops go through the worker", async () => {
    const lu = await user("leader@x.test", "leader");
    const leaderAccount = await openPaperAccount(t.db, lu.id, "100000");
    const [leader] = await t.db
      .insert(leaders)
      .values({
        userId: lu.id,
        handle: "lead",
        displayName: "Lead",
        brokerAccountId: leaderAccount,
        trackRecordStartedAt: clock.now(),
      })
      .returning();
    await t.db.execute(
      sql`insert into leader_books (leader_id, cash, updated_at) values (${leader!.id}, '100000', now())`,
    );
    const fu = await user("follower@x.test", "follower");
    const followerAccount = await openPaperAccount(t.db, fu.id, "20000");
    await applyPaperTransfers(deps, paper);
    // The web as it would be at this test's time (placeManualOrder refuses a closed market).
    const web = { ...engineDepsForWeb(t.db), clock };
    const rel = await startCopy(web, {
      followerId: fu.id,
      leaderId: leader!.id,
      brokerAccountId: followerAccount,
      sizing: { mode: "proportional", allocation: "10000" },
      agreementVersion: "t",
    });

    await placeManualOrder(web, {
      brokerAccountId: leaderAccount,
      userId: lu.id,
      symbol: "AAPL",
      side: "buy",
      type: "market",
      qty: "50",
    });
    await pump(deps);
    const [held] = await t.db
      .select()
      .from(copyPositions)
      .where(eq(copyPositions.relationshipId, rel));
    expect(held?.qty).toBe("5"); // r = 10000 / 100000
    const [d] = await t.db
      .select()
      .from(copyDecisions)
      .where(eq(copyDecisions.relationshipId, rel));
    expect(d).toMatchObject({ action: "placed", reason: "OK", target: "5" });
    // Support can trace the follower order back to the leader fill that caused it.
    const trace = await traceOrder(t.db, d!.clientOrderId!);
    expect(trace?.leader?.handle).toBe("lead");
    expect(trace?.leaderFill).toMatchObject({ symbol: "AAPL", side: "buy", qty: "50" });
    expect(trace?.decision?.checks.length).toBeGreaterThan(0);
    expect(trace?.fills).toHaveLength(1);
    expect(trace?.events.map((e) => e.type)).toEqual(
      expect.arrayContaining(["leader_fill", "copy_decision", "order_fill"]),
    );

    // A limit order rests; the web asks for a cancel; the worker sends it.
    const { orderId } = await placeManualOrder(web, {
      brokerAccountId: leaderAccount,
      userId: lu.id,
      symbol: "AAPL",
      side: "buy",
      type: "limit",
      qty: "10",
      limitPrice: "150.00",
    });
    await pump(deps);
    expect((await t.db.select().from(orders).where(eq(orders.id, orderId)))[0]?.status).toBe(
      "accepted",
    );
    await requestCancelOrder(web, { orderId, userId: lu.id });
    await pump(deps);
    expect((await t.db.select().from(orders).where(eq(orders.id, orderId)))[0]?.status).toBe(
      "cancelled",
    );
    // Someone else's order cannot be cancelled.
    await expect(requestCancelOrder(web, { orderId, userId: fu.id })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    // Bad tickets name the field and change nothing.
    const before = (await t.db.select().from(orders)).length;
    await expect(
      placeManualOrder(web, {
        brokerAccountId: leaderAccount,
        userId: lu.id,
        symbol: "AAPL",
        side: "buy",
        type: "limit",
        qty: "1",
        limitPrice: "150.005",
      }),
    ).rejects.toThrow(/limitPrice: AAPL prices move in ticks of 0.01/);
    await expect(
      placeManualOrder(web, {
        brokerAccountId: leaderAccount,
        userId: lu.id,
        symbol: "AAPL",
        side: "buy",
        type: "market",
        qty: "0.5",
      }),
    ).rejects.toThrow(/qty: AAPL trades in steps of 1/);
    expect((await t.db.select().from(orders)).length).toBe(before);

    // Paused: the leader's next buy is skipped with a reason.
    await pauseCopy(web, rel, "follower");
    await placeManualOrder(web, {
      brokerAccountId: leaderAccount,
      userId: lu.id,
      symbol: "AAPL",
      side: "buy",
      type: "market",
      qty: "50",
    });
    await pump(deps);
    const decisions = await t.db
      .select()
      .from(copyDecisions)
      .where(eq(copyDecisions.relationshipId, rel))
      .orderBy(copyDecisions.id);
    expect(decisions.at(-1)).toMatchObject({
      action: "skipped",
      reason: "PAUSED",
      target: "10",
      orderQty: "0",
    });

    // Stop with close: the worker closes the position.
    await stopCopy(web, rel, { reason: "STOPPED", by: "follower", closePositions: true });
    await pump(deps);
    const [after] = await t.db
      .select()
      .from(copyPositions)
      .where(eq(copyPositions.relationshipId, rel));
    expect(after?.qty).toBe("0");

    // Books and broker agree.
    const run = await reconcile(deps, "on_demand");
    const items = await t.db
      .select()
      .from(reconciliationItems)
      .where(eq(reconciliationItems.runId, run.runId));
    expect(items.filter((i) => i.action !== "none")).toEqual([]);
    const accounts = await t.db.select().from(brokerAccounts);
    expect(accounts).toHaveLength(2);

    // Daily equity snapshots for the leader, the copy and both accounts.
    expect(await snapshotEquity(deps)).toBe(4);
    const snaps = await t.db.select().from(equitySnapshots).orderBy(equitySnapshots.ownerType);
    expect(snaps.map((x) => x.ownerType)).toEqual(["copy", "follower", "follower", "leader"]);
    const copySnap = snaps.find((x) => x.ownerType === "copy")!;
    const [cp] = await t.db
      .select()
      .from(copyPositions)
      .where(eq(copyPositions.relationshipId, rel));
    // Flat copy: equity = allocation + realized P&L − fees.
    expect(D(copySnap.equity).eq(D("10000").plus(cp!.realizedPnl).minus(cp!.fees))).toBe(true);
  });
});
