import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enrolTestFactor } from "../../../test/second-factor";
import { createTestDb } from "../../../test/db";
import { users } from "../../../db/schema";
import { LEADER_FILLS_PER_MINUTE_LIMIT } from "../../engine/risk/breakers";
import { metrics, flushSamples } from "../../ops/metrics";
import type { Viewer } from "../../auth/session";
import { createCaller } from "../root";

/**
 * The Operations page's series: admins only (support and followers refused, bad input in
 * words), and two processes' samples of the same minute add up.
 */
let t: Awaited<ReturnType<typeof createTestDb>>;
const viewers: Record<string, Viewer> = {};
beforeAll(async () => {
  t = await createTestDb();
  for (const role of ["admin", "support", "follower"] as const) {
    const [u] = await t.db
      .insert(users)
      .values({ email: `${role}@ops.test`, passwordHash: "!", displayName: role, role })
      .returning();
    viewers[role] = { id: u!.id, email: u!.email, name: role, role };
    await enrolTestFactor(t.db, u!.id); // admin and support procedures need a second factor
  }
});
afterAll(() => t.drop());

const as = (role: string | null) =>
  createCaller({ db: t.db, viewer: role ? viewers[role]! : null });

describe("ops.series", () => {
  it("is refused to followers, support and strangers, and explains a bad range", async () => {
    await expect(as("follower").ops.series({ range: "hour" })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    await expect(as("support").ops.series({ range: "hour" })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    await expect(as(null).ops.series({ range: "hour" })).rejects.toMatchObject({
      code: "UNAUTHORIZED",
    });
    await expect(as("admin").ops.series({ range: "week" as unknown as "hour" })).rejects.toThrow(
      /Range: choose hour or day/,
    );
  });

  it("sums what several workers wrote for the same minute, with the breaker thresholds", async () => {
    metrics.orderSubmitted("filled", 3);
    metrics.orderSubmitted("transient", 1);
    await flushSamples(t.db, "worker-a");
    metrics.orderSubmitted("filled", 2);
    metrics.riskRefused("MAX_SYMBOL_EXPOSURE", 2);
    await flushSamples(t.db, "worker-b");
    const out = await as("admin").ops.series({ range: "hour" });
    expect(out.series).toHaveLength(60);
    expect(out.thresholds.leaderFillsPerMinute).toBe(LEADER_FILLS_PER_MINUTE_LIMIT);
    const now = out.series.filter((p) => p.submitted > 0);
    expect(now.reduce((a, p) => a + p.submitted, 0)).toBe(5);
    expect(now.reduce((a, p) => a + p.failed, 0)).toBe(1);
    expect(out.series.reduce((a, p) => a + p.refusals, 0)).toBe(2);
    const day = await as("admin").ops.series({ range: "day" });
    expect(day.series).toHaveLength(96);
    // A 15-minute bucket shows counts per minute: 5 submissions in it are 5/15 a minute.
    expect(day.series.reduce((a, p) => a + p.submitted, 0)).toBeCloseTo(5 / 15, 1);
  });
});
