import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb } from "../../test/db";
import { copyRelationships, users } from "../../db/schema";
import { copyStatement } from "../queries/statements";
import { FEE_DEMO_FOLLOWER } from "./fee-copy";
import { seedDemoWorld } from "./seed";

let t: Awaited<ReturnType<typeof createTestDb>>;
beforeAll(async () => {
  t = await createTestDb();
}, 120_000);
afterAll(() => t.drop());

describe("the demo's fee-charged copy", () => {
  it("last month settled with a performance fee, and the statement adds up", async () => {
    const now = new Date();
    await seedDemoWorld(t.db, { now });
    const [u] = await t.db.select().from(users).where(eq(users.email, FEE_DEMO_FOLLOWER.email));
    const [rel] = await t.db
      .select()
      .from(copyRelationships)
      .where(eq(copyRelationships.followerId, u!.id));
    const s = (await copyStatement(t.db, rel!.id, now))!;
    const last = s.periods[0]!;
    expect(last.state).toBe("settled");
    expect(last.fees.map((f) => f.kind)).toEqual(["platform", "management", "performance"]);
    expect(s.periods.every((p) => p.check === "0")).toBe(true);
  }, 120_000);
});
