import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { createTestDb } from "../../../test/db";
import { auditLog, circuitBreakers, notifications, users } from "../../../db/schema";
import { ingestLeaderFill } from "../ingest/leader-events";
import { makeWorld } from "../testing/test-world";
import { deriveNotifications } from "../../notify/derive";
import { closeQuietFillRateBreakers, createQuoteWatch } from "./auto-breakers";
import { LEADER_FILLS_PER_MINUTE_LIMIT, openBreaker } from "./breakers";

let t: Awaited<ReturnType<typeof createTestDb>>;
beforeEach(async () => {
  t = await createTestDb();
});
afterEach(() => t.drop());

const breakers = () => t.db.select().from(circuitBreakers).orderBy(circuitBreakers.openedAt);

describe("automatic breakers", () => {
  it("an abnormal quote jump opens the instrument's breaker; it closes after the cool-down once calm; a steady climb opens nothing", async () => {
    const w = await makeWorld(t.db, { followers: 0, config: { autoBreakers: true } });
    const watch = createQuoteWatch(w.deps);
    const quote = async (mid: number, afterMs: number) => {
      w.clock.advance(afterMs);
      await watch.onQuote({
        symbol: "XYZ",
        bid: (mid - 0.05).toFixed(2),
        ask: (mid + 0.05).toFixed(2),
        at: w.clock.now(),
      });
    };
    // +5 % a minute for four minutes: never more than 10 % within 60 s.
    for (const mid of [100, 105, 110.25, 115.76]) await quote(mid, 61_000);
    expect(await breakers()).toEqual([]);
    await quote(128, 30_000); // +10.6 % in 30 s
    const [b] = await breakers();
    expect(b).toMatchObject({
      scope: "instrument",
      scopeKey: "XYZ",
      openedBy: "system",
      closedAt: null,
    });
    expect(b!.reason).toBe("abnormal market: price moved 10.6 % within 60 s");
    await quote(129, 60_000);
    expect(await watch.closeCooledDown()).toBe(0); // open 1 min of 5
    w.clock.advance(4 * 60_000 + 1);
    expect(await watch.closeCooledDown()).toBe(1);
    expect((await breakers())[0]).toMatchObject({ closedBy: "system" });
    const audit = await t.db
      .select()
      .from(auditLog)
      .where(eq(auditLog.targetId, "XYZ"))
      .orderBy(auditLog.id);
    expect(audit.map((a) => [a.action, a.actorUserId, a.details.by])).toEqual([
      ["breaker.open", null, "system"],
      ["breaker.close", null, "system"],
    ]);
  });

  it("the fill-rate breaker alerts the admins and the leader, and closes itself after a quiet period", async () => {
    const w = await makeWorld(t.db, { followers: 0, config: { autoBreakers: true } });
    const [admin] = await t.db
      .insert(users)
      .values({ email: "admin@world.test", passwordHash: "!", displayName: "A", role: "admin" })
      .returning();
    const derive = () =>
      deriveNotifications(t.db, {
        now: w.clock.now(),
        settleMs: 0,
        email: false,
        appUrl: "http://x",
      });
    await derive();
    // What tripOnLeaderFillRate opens (its trip is tested in breakers.test.ts).
    await openBreaker(w.deps, {
      scope: "leader",
      key: w.leaderId,
      reason: `more than ${LEADER_FILLS_PER_MINUTE_LIMIT} fills in a minute`,
      by: "engine",
    });
    expect((await breakers()).map((b) => [b.scope, b.closedAt])).toEqual([["leader", null]]);
    await derive();
    const alerts = await t.db
      .select()
      .from(notifications)
      .where(eq(notifications.kind, "breaker_alert"));
    const leaderUser = (
      await t.db.select().from(users).where(eq(users.email, "leader@world.test"))
    )[0]!;
    expect(alerts.map((a) => a.userId).sort()).toEqual([admin!.id, leaderUser.id].sort());
    expect(alerts[0]!.title).toBe("Safety breaker opened by itself: trading of L");

    // A trade 5 minutes in restarts the quiet period: closed 10 minutes after it.
    w.clock.advance(5 * 60_000);
    await ingestLeaderFill(w.deps, {
      leaderId: w.leaderId,
      fillId: "late",
      orderId: "late",
      symbol: "XYZ",
      side: "buy",
      qty: "1",
      price: "100",
      at: w.clock.now(),
    });
    w.clock.advance(9 * 60_000);
    expect(await closeQuietFillRateBreakers(w.deps)).toBe(0);
    w.clock.advance(60_000);
    expect(await closeQuietFillRateBreakers(w.deps)).toBe(1);
    expect((await breakers())[0]).toMatchObject({ closedBy: "system" });
  });
});
