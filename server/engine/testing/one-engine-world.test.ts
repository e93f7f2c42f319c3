import { and, eq, sql } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  accountBalances,
  circuitBreakers,
  copyPositions,
  copyRelationships,
  events,
  instruments,
  leaderBooks,
  leaders,
  orders,
  reconciliationItems,
} from "../../../db/schema";
import { createTestDb } from "../../../test/db";
import { D } from "../../domain/money";
import { recordFunding } from "../book/funding";
import { placeManualOrder } from "../execute/manual-orders";
import { pump } from "../pump";
import { reconcile } from "../reconcile/reconcile";
import { makeWorld } from "./test-world";

/**
 * The engine's holes that need the whole world (issue "One engine, one set of rules"): each
 * of these failed on the engine before the planner and the one ingestion path.
 */
let t: Awaited<ReturnType<typeof createTestDb>>;
beforeEach(async () => {
  t = await createTestDb();
});
afterEach(() => t.drop());

async function leaderOf(leaderId: string) {
  const [l] = await t.db.select().from(leaders).where(eq(leaders.id, leaderId));
  await t.db
    .insert(accountBalances)
    .values({
      brokerAccountId: l!.brokerAccountId,
      currency: "USD",
      cash: "100000",
      updatedAt: new Date(),
    })
    .onConflictDoNothing();
  return l!;
}

const leaderFillEvents = (leaderId: string) =>
  t.db
    .select()
    .from(events)
    .where(and(eq(events.stream, `leader:${leaderId}`), eq(events.type, "leader_fill")));

describe("one engine in the world", () => {
  it("a leader fill only reconciliation finds enters the leader stream once and is copied", async () => {
    const w = await makeWorld(t.db, { followers: 1 });
    const leader = await leaderOf(w.leaderId);
    await w.paper.injectFault("L", "drop_events", 50); // the leader's order updates are lost
    await placeManualOrder(w.deps, {
      brokerAccountId: leader.brokerAccountId,
      userId: leader.userId,
      symbol: "XYZ",
      side: "buy",
      type: "market",
      qty: "100",
    });
    await pump(w.deps);
    await pump(w.deps);
    expect(await leaderFillEvents(w.leaderId)).toHaveLength(0);

    await reconcile(w.deps, "on_demand");
    await reconcile(w.deps, "on_demand"); // found twice, ingested once
    expect(await leaderFillEvents(w.leaderId)).toHaveLength(1);
    await pump(w.deps);
    await pump(w.deps);
    const [cp] = await t.db
      .select()
      .from(copyPositions)
      .where(eq(copyPositions.relationshipId, w.followers[0]!.relationshipId));
    // r = 10 000 / 100 000: the follower holds a tenth of the leader's 100
    expect(cp?.qty).toBe("10");
    const run = await reconcile(w.deps, "on_demand");
    expect(run.actions).toBe(0);
  });

  it("a leader's deposit from the dashboard re-fixes proportional ratios", async () => {
    const w = await makeWorld(t.db, { followers: 1 });
    const leader = await leaderOf(w.leaderId);
    const before = await ratio(w.followers[0]!.relationshipId);
    expect(before).toBe("0.1");
    await recordFunding(w.deps, {
      brokerAccountId: leader.brokerAccountId,
      amount: "100000",
      by: `user:${leader.userId}`,
      transferAtBroker: true,
    });
    await pump(w.deps);
    // the leader doubled their equity: the follower's share of each trade halves
    expect(await ratio(w.followers[0]!.relationshipId)).toBe("0.05");
    const [book] = await t.db
      .select()
      .from(leaderBooks)
      .where(eq(leaderBooks.leaderId, w.leaderId));
    expect(book!.cash).toBe("200000");
  });

  it("reconciliation's adjustment orders pass the same checks as copy orders (an open breaker stops them)", async () => {
    const w = await makeWorld(t.db, { followers: 1 });
    const leader = await leaderOf(w.leaderId);
    await placeManualOrder(w.deps, {
      brokerAccountId: leader.brokerAccountId,
      userId: leader.userId,
      symbol: "XYZ",
      side: "buy",
      type: "market",
      qty: "100",
    });
    await pump(w.deps);
    await pump(w.deps);
    // The follower's copy is lost in between (a manual sell by the follower): drift.
    const rel = w.followers[0]!.relationshipId;
    await t.db.update(copyPositions).set({ qty: "4" }).where(eq(copyPositions.relationshipId, rel));
    await t.db.insert(circuitBreakers).values({
      scope: "global",
      scopeKey: "*",
      reason: "test halt",
      openedBy: "admin",
      openedAt: w.clock.now(),
    });
    await reconcile(w.deps, "on_demand");
    const adjustments = await t.db
      .select()
      .from(orders)
      .where(and(eq(orders.relationshipId, rel), eq(orders.origin, "reconcile")));
    expect(adjustments).toHaveLength(0);
    const [item] = await t.db
      .select()
      .from(reconciliationItems)
      .where(
        and(
          eq(reconciliationItems.relationshipId, rel),
          eq(reconciliationItems.kind, "copy_drift"),
        ),
      );
    expect(item!.detail).toMatchObject({ blockedBy: "CIRCUIT_BREAKER" });

    await t.db.update(circuitBreakers).set({ closedAt: w.clock.now(), closedBy: "admin" });
    await reconcile(w.deps, "on_demand");
    const after = await t.db
      .select()
      .from(orders)
      .where(and(eq(orders.relationshipId, rel), eq(orders.origin, "reconcile")));
    expect(after.map((o) => [o.side, o.qty])).toEqual([["buy", "6"]]);
  });

  it("the leader's book is after commissions", async () => {
    const w = await makeWorld(t.db, { followers: 0 });
    await t.db.update(instruments).set({ commissionPerUnit: "0.01" });
    const leader = await leaderOf(w.leaderId);
    await placeManualOrder(w.deps, {
      brokerAccountId: leader.brokerAccountId,
      userId: leader.userId,
      symbol: "XYZ",
      side: "buy",
      type: "market",
      qty: "100",
    });
    await pump(w.deps);
    await pump(w.deps);
    const [fill] = await t.db.execute<{ price: string; fee: string }>(
      sql`select price, fee from fills`,
    );
    const [book] = await t.db
      .select()
      .from(leaderBooks)
      .where(eq(leaderBooks.leaderId, w.leaderId));
    expect(D(fill!.fee).gt(0)).toBe(true);
    expect(book!.cash).toBe(D(100000).minus(D(fill!.price).times(100)).minus(fill!.fee).toFixed());
  });
});

async function ratio(id: string) {
  const [r] = await t.db
    .select({ ratio: copyRelationships.ratio })
    .from(copyRelationships)
    .where(eq(copyRelationships.id, id));
  return D(r!.ratio!).toFixed();
}
