import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb } from "../../../test/db";
import { eq } from "drizzle-orm";
import { auditLog, copyRelationships, leaderFlags, users } from "../../../db/schema";
import { clearLeaderFlag } from "../../engine/risk/strategy-change";
import type { Viewer } from "../../auth/sessions";
import { makeWorld } from "../../engine/testing/test-world";
import { createCaller } from "../root";
import { provenViewer } from "../../../test/second-factor";

let t: Awaited<ReturnType<typeof createTestDb>>;
const viewers: Partial<Record<Viewer["role"], Viewer>> = {};
beforeAll(async () => {
  t = await createTestDb();
  for (const role of ["follower", "support", "admin"] as const) {
    const [u] = await t.db
      .insert(users)
      .values({ email: `${role}@x.test`, passwordHash: "!", displayName: role, role })
      .returning();
    // Staff have a second factor (the procedures need one); this session has not re-proved it.
    viewers[role] = await provenViewer(t.db, u!.id, { proven: false });
  }
});
afterAll(() => t.drop());

const as = (role: Viewer["role"] | null) =>
  createCaller({ db: t.db, viewer: role ? viewers[role]! : null });

describe("trust procedures", () => {
  it("the profile's trust facts are public; flags are staff-only; clearing one is an admin step-up action", async () => {
    const w = await makeWorld(t.db, { followers: 2 });
    const trust = await as(null).trust.leader({ handle: "world" });
    expect(trust.verification).toBeNull(); // never checked: the page says not verified
    expect(trust.flag).toBeNull();
    expect(trust.rules.flagged[0]).toMatch(/^Position size: /);
    await expect(as(null).trust.leader({ handle: "nobody" })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });

    const [flag] = await t.db
      .insert(leaderFlags)
      .values({
        leaderId: w.leaderId,
        reason: "position size 10× the 30-day median",
        openedAt: w.clock.now(),
        openedBy: "system",
      })
      .returning();
    expect((await as(null).trust.leader({ handle: "world" })).flag?.reason).toBe(
      "position size 10× the 30-day median",
    );
    await expect(as("follower").trust.flags()).rejects.toMatchObject({ code: "FORBIDDEN" });
    // One of the two followers chose to have increases paused on a flag.
    const [one] = await t.db.select().from(copyRelationships).limit(1);
    await t.db
      .update(copyRelationships)
      .set({ onLeaderFlag: "pause_increases" })
      .where(eq(copyRelationships.id, one!.id));
    const listed = await as("support").trust.flags();
    expect(listed.map((f) => [f.handle, f.followers, f.pausedFollowers])).toEqual([
      ["world", 2, 1],
    ]);
    const clear = { id: flag!.id, reason: "checked with the leader" };
    await expect(as("support").trust.clearFlag(clear)).rejects.toMatchObject({ code: "FORBIDDEN" });
    // An admin without a recent second factor is asked for one, and nothing changes.
    await expect(as("admin").trust.clearFlag(clear)).rejects.toThrow(/Confirm it's you/);
    expect((await as("support").trust.flags()).length).toBe(1);
    // What the procedure runs after the step-up: the flag closes, audited with the admin.
    const [admin] = await t.db
      .insert(users)
      .values({ email: "admin@world.test", passwordHash: "!", displayName: "A", role: "admin" })
      .returning();
    await clearLeaderFlag(w.deps, flag!.id, { userId: admin!.id, why: "checked with the leader" });
    expect(await as("support").trust.flags()).toEqual([]);
    const [row] = await t.db
      .select()
      .from(auditLog)
      .where(eq(auditLog.action, "leader_flag.close"));
    expect(row).toMatchObject({ actorUserId: admin!.id, targetId: w.leaderId });
    expect(row!.details).toMatchObject({ by: admin!.id, why: "checked with the leader" });
  });
});
