import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { and, eq, inArray } from "drizzle-orm";
import { createTestDb } from "../../../test/db";
import {
  auditLog,
  copyDecisions,
  copyRelationships,
  leaderFlags,
  notifications,
} from "../../../db/schema";
import { ingestLeaderFill } from "../ingest/leader-events";
import { pump } from "../pump";
import { makeWorld } from "../testing/test-world";
import { deriveNotifications } from "../../notify/derive";
import { clearLeaderFlag, detectStrategyChanges } from "./strategy-change";

let t: Awaited<ReturnType<typeof createTestDb>>;
beforeEach(async () => {
  t = await createTestDb();
});
afterEach(() => t.drop());

const DAY = 86_400_000;

describe("strategy-change flags", () => {
  it("a tenfold jump in size flags the leader; pause-choosers refuse increases with LEADER_STRATEGY_CHANGE, notify-choosers are told; the flag closes itself a day later", async () => {
    const w = await makeWorld(t.db, { followers: 2 });
    const [pauser, notifier] = w.followers.map((f) => f.relationshipId) as [string, string];
    await t.db
      .update(copyRelationships)
      .set({ onLeaderFlag: "pause_increases" })
      .where(eq(copyRelationships.id, pauser));
    const derive = () =>
      deriveNotifications(t.db, {
        now: w.clock.now(),
        settleMs: 0,
        email: false,
        appUrl: "http://x",
      });
    await derive(); // the notifier's cursors start now
    let n = 0;
    const fill = (side: "buy" | "sell", qty: string, at: Date) =>
      ingestLeaderFill(w.deps, {
        leaderId: w.leaderId,
        fillId: `f${++n}`,
        orderId: `o${n}`,
        symbol: "XYZ",
        side,
        qty,
        price: "100",
        at,
      });
    // A round trip every third day for thirty days, 8 to 12 units.
    const now = w.clock.now().getTime();
    for (let d = 30; d >= 2; d -= 3) {
      const qty = String(8 + (d % 5));
      await fill("buy", qty, new Date(now - d * DAY));
      await fill("sell", qty, new Date(now - d * DAY + 6 * 3_600_000));
    }
    await pump(w.deps);
    expect(await detectStrategyChanges(w.deps)).toEqual({ opened: 0, closed: 0 });

    // Normal variation (12 units, the trailing high) flags nothing.
    await fill("buy", "12", w.clock.now());
    await fill("sell", "12", w.clock.now());
    expect(await detectStrategyChanges(w.deps)).toEqual({ opened: 0, closed: 0 });

    await fill("buy", "100", w.clock.now()); // tenfold
    await pump(w.deps);
    expect(await detectStrategyChanges(w.deps)).toEqual({ opened: 1, closed: 0 });
    expect(await detectStrategyChanges(w.deps)).toEqual({ opened: 0, closed: 0 });
    const [flag] = await t.db
      .select()
      .from(leaderFlags)
      .where(eq(leaderFlags.leaderId, w.leaderId));
    expect(flag!.reason).toBe("position size 10× the 30-day median");

    const more = `f${n + 1}`;
    await fill("buy", "50", w.clock.now());
    const close = `f${n + 1}`;
    await fill("sell", "150", w.clock.now());
    await pump(w.deps);
    const ds = await t.db
      .select()
      .from(copyDecisions)
      .where(inArray(copyDecisions.leaderFillId, [more, close]))
      .orderBy(copyDecisions.id);
    const row = (rel: string, f: string) =>
      ds
        .filter((d) => d.relationshipId === rel && d.leaderFillId === f)
        .map((d) => [d.target, d.orderQty, d.action, d.reason]);
    expect(row(pauser, more)).toEqual([["15", "0", "skipped", "LEADER_STRATEGY_CHANGE"]]);
    expect(row(notifier, more)).toEqual([["15", "5", "placed", "OK"]]);
    // Closing is always copied, flag or not.
    expect(row(pauser, close)).toEqual([["0", "-10", "placed", "OK"]]);
    expect(row(notifier, close)).toEqual([["0", "-15", "placed", "OK"]]);

    await derive();
    const notes = await t.db
      .select()
      .from(notifications)
      .where(eq(notifications.kind, "leader_flagged"))
      .orderBy(notifications.id);
    const pauserUser = (
      await t.db.select().from(copyRelationships).where(eq(copyRelationships.id, pauser))
    )[0]!.followerId;
    expect(notes).toHaveLength(2);
    const mine = notes.find((x) => x.userId === pauserUser)!;
    const theirs = notes.find((x) => x.userId !== pauserUser)!;
    expect(mine.body).toMatch(/position size 10× the 30-day median.*buys nothing new/);
    expect(theirs.body).toMatch(/keeps following/);

    // Not yet a full window later: stays open. A day after opening, nothing recent: closes.
    w.clock.advance(23 * 3_600_000);
    expect(await detectStrategyChanges(w.deps)).toEqual({ opened: 0, closed: 0 });
    w.clock.advance(2 * 3_600_000);
    expect(await detectStrategyChanges(w.deps)).toEqual({ opened: 0, closed: 1 });
    const audits = await t.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.targetId, w.leaderId)))
      .orderBy(auditLog.id);
    expect(audits.map((a) => [a.action, a.actorUserId, a.details.by])).toEqual([
      ["leader_flag.open", null, "system"],
      ["leader_flag.close", null, "system"],
    ]);
    await expect(
      clearLeaderFlag(w.deps, flag!.id, { userId: pauserUser, why: "looked into it" }),
    ).rejects.toThrow(/no open flag/);
  });
});
