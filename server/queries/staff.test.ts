import { and, eq, ne } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb } from "../../test/db";
import * as s from "../../db/schema";
import { seedDemoWorld } from "../demo/seed";
import { createCaller } from "../api/root";
import type { Viewer } from "../auth/session";
import { provenViewer } from "../../test/second-factor";

let t: Awaited<ReturnType<typeof createTestDb>>;
const users: Record<string, Viewer> = {};
beforeAll(async () => {
  t = await createTestDb();
  await seedDemoWorld(t.db);
  for (const u of await t.db.select().from(s.users))
    users[u.email] = { id: u.id, email: u.email, name: u.displayName, role: u.role };
  // Opening a breaker is a step-up action: the admin's session has just proved its factor.
  users["admin@tandem.test"] = await provenViewer(t.db, users["admin@tandem.test"]!.id);
}, 180_000);
afterAll(() => t.drop());
const as = (email: string) => createCaller({ db: t.db, viewer: users[email]! });

describe("staff tools", () => {
  it("search finds a customer with links to their copies, and leaders by handle", async () => {
    const found = await as("support@tandem.test").admin.search({ q: "follower@tandem" });
    expect(found.people.map((p) => p.email)).toEqual(["follower@tandem.test"]);
    const leaders = await as("support@tandem.test").admin.search({ q: "steady" });
    expect(leaders.leaders.map((l) => l.handle)).toContain("steady-etf");
    // "%" is a character, not a wildcard.
    expect((await as("support@tandem.test").admin.search({ q: "%%" })).people).toEqual([]);
    await expect(as("follower@tandem.test").admin.search({ q: "bob" })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
  });

  it("search names a broker's commission posted apart from the fills as one, not as a fill", async () => {
    const [fill] = await t.db.select().from(s.fills).where(ne(s.fills.qty, "0")).limit(1);
    await t.db.insert(s.fills).values({
      orderId: fill!.orderId,
      brokerAccountId: fill!.brokerAccountId,
      brokerTradeId: "cfee:search-1",
      qty: "0",
      price: "0",
      fee: "0.75",
      filledAt: fill!.filledAt,
    });
    const charge = await as("support@tandem.test").admin.search({ q: "cfee:search-1" });
    expect(charge.fills).toEqual([expect.objectContaining({ charge: true, fee: "0.75" })]);
    const plain = await as("support@tandem.test").admin.search({ q: fill!.brokerTradeId });
    expect(plain.fills).toEqual([expect.objectContaining({ charge: false, qty: fill!.qty })]);
  });

  it("support opens a customer's copy read-only, and the look-up is audited", async () => {
    const [rel] = await t.db.select().from(s.copyRelationships).limit(1);
    expect(rel).toBeTruthy();
    const owner = Object.values(users).find((u) => u.id === rel!.followerId)!;
    const support = users["support@tandem.test"]!;
    const view = await as("support@tandem.test").admin.customerCopy({ id: rel!.id });
    expect(view.id).toBe(rel!.id);
    expect(view.customer.email).toBe(owner.email);
    const own = await as(owner.email).copies.detail({ id: rel!.id });
    expect(view.positions).toEqual(own.positions);
    const audit = await t.db
      .select()
      .from(s.auditLog)
      .where(and(eq(s.auditLog.action, "staff.view_copy"), eq(s.auditLog.targetId, rel!.id)));
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actorUserId: support.id, targetType: "copy" });
    // Customers cannot use the staff door, even to their own copy.
    await expect(as("bob@tandem.test").admin.customerCopy({ id: rel!.id })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    await expect(
      as("support@tandem.test").admin.customerCopy({ id: "00000000-0000-4000-8000-000000000000" }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("breakers are chosen from real leaders, instruments and brokers", async () => {
    const c = await as("admin@tandem.test").admin.breakerChoices();
    const steady = c.leaders.find((l) => l.handle === "steady-etf")!;
    expect(steady.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(c.instruments.map((i) => i.symbol)).toContain("SPY");
    expect(c.brokers).toContain("paper");
    const opened = await as("admin@tandem.test").admin.openBreaker({
      scope: "leader",
      key: steady.id,
      reason: "staff tools test",
    });
    expect(opened.alreadyOpen).toBe(false);
    const listed = await as("support@tandem.test").admin.breakers();
    expect(listed.some((b) => b.scopeKey === steady.id && !b.closedAt)).toBe(true);
  });
});
