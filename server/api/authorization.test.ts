import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb } from "../../test/db";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { appRouter, createCaller } from "./root";
import type { Viewer } from "../auth/session";
import { upsertCatalogue } from "../market/catalogue";
import { and, eq } from "drizzle-orm";
import { auditLog, circuitBreakers, users } from "../../db/schema";
import { provenViewer } from "../../test/second-factor";

let t: Awaited<ReturnType<typeof createTestDb>>;
const ROLES = ["follower", "leader", "support", "admin"] as const;
const viewers: Partial<Record<Viewer["role"], Viewer>> = {};
beforeAll(async () => {
  t = await createTestDb();
  // Breakers open only on keys that exist: the instruments must be there.
  await upsertCatalogue(t.db);
  // One real user per role, each with a second factor proven by this session just now.
  for (const role of ROLES) {
    const [u] = await t.db
      .insert(users)
      .values({ email: `${role}@x.test`, passwordHash: "!", displayName: role, role })
      .returning();
    viewers[role] = await provenViewer(t.db, u!.id);
  }
});
afterAll(() => t.drop());

const as = (viewer: Viewer | null) => createCaller({ db: t.db, viewer });
const viewer = (role: Viewer["role"]): Viewer => viewers[role]!;

describe("procedures check who is asking", () => {
  it("protected procedures refuse anonymous callers", async () => {
    await expect(as(null).auth.me()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  });

  it("admin procedures refuse followers and leaders, and admit admin and support", async () => {
    await expect(as(viewer("follower")).admin.overview()).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    await expect(as(viewer("leader")).admin.overview()).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    await expect(as(viewer("admin")).admin.overview()).resolves.toMatchObject({ users: 4 });
    await expect(as(viewer("support")).admin.overview()).resolves.toMatchObject({ leaders: 0 });
  });

  it("breakers: support may look, only admins open and close; trace is staff-only", async () => {
    await expect(
      as(viewer("support")).admin.openBreaker({ scope: "global", key: "*", reason: "test" }),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(as(viewer("follower")).admin.trace({ ref: "cp-x" })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    await expect(as(viewer("support")).admin.trace({ ref: "cp-missing" })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(
      as(viewer("admin")).admin.openBreaker({ scope: "instrument", key: "", reason: "halt" }),
    ).rejects.toThrow(/key: name the leader id, symbol or broker/);
    const opened = await as(viewer("admin")).admin.openBreaker({
      scope: "instrument",
      key: "AAPL",
      reason: "exchange halt",
    });
    expect(opened.alreadyOpen).toBe(false);
    expect(
      (
        await as(viewer("admin")).admin.openBreaker({
          scope: "instrument",
          key: "AAPL",
          reason: "again",
        })
      ).alreadyOpen,
    ).toBe(true);
    const list = await as(viewer("support")).admin.breakers();
    expect(list.map((b) => [b.scope, b.scopeKey, b.closedAt])).toEqual([
      ["instrument", "AAPL", null],
    ]);
    await expect(as(viewer("admin")).admin.closeBreaker({ id: opened.id! })).resolves.toEqual({
      closed: true,
    });
    await expect(as(viewer("admin")).admin.closeBreaker({ id: opened.id! })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  });

  it("leader and staff procedures refuse a caller with no second factor, with a reason code", async () => {
    for (const role of ["leader", "support", "admin"] as const) {
      const [u] = await t.db
        .insert(users)
        .values({ email: `bare-${role}@x.test`, passwordHash: "!", displayName: role, role })
        .returning();
      const bare = { id: u!.id, email: u!.email, name: role, role };
      const call =
        role === "leader" ? as(bare).leaderConsole.overview() : as(bare).admin.overview();
      const err = await call.catch((e: unknown) => e);
      expect(err).toMatchObject({
        code: "FORBIDDEN",
        cause: { publicCode: "SECOND_FACTOR_REQUIRED" },
      });
      expect((err as Error).message).toMatch(/Set up a second factor first/);
    }
  });

  it("opening and closing a breaker needs a fresh second factor; the refusal is audited", async () => {
    const [u] = await t.db
      .insert(users)
      .values({ email: "stale-admin@x.test", passwordHash: "!", displayName: "S", role: "admin" })
      .returning();
    const stale = await provenViewer(t.db, u!.id, { proven: false });
    const err = await as(stale)
      .admin.openBreaker({ scope: "instrument", key: "MSFT", reason: "halt" })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "FORBIDDEN", cause: { publicCode: "STEP_UP_REQUIRED" } });
    expect(
      await t.db.select().from(circuitBreakers).where(eq(circuitBreakers.scopeKey, "MSFT")),
    ).toEqual([]);
    const [audit] = await t.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.actorUserId, u!.id), eq(auditLog.action, "user.step_up_required")));
    expect(audit).toMatchObject({ targetId: stale.sessionId, details: { action: "breaker.open" } });
  });

  it("bad input over HTTP gets a 400 whose message names each field", async () => {
    const res = await fetchRequestHandler({
      endpoint: "/api/trpc",
      req: new Request("http://localhost/api/trpc/auth.signUp", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ json: { email: "x", password: "y", displayName: "zed" } }),
      }),
      router: appRouter,
      createContext: () => ({ db: t.db, viewer: null }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { json: { message: string } } };
    // Each message names its field in words (no dotted paths, no library wording).
    expect(body.error.json.message).toContain("Enter a valid e-mail address");
    expect(body.error.json.message).toContain("Password must be at least 10 characters");
  });
});
