import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb } from "../../test/db";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { appRouter, createCaller } from "./root";
import type { Viewer } from "../auth/session";
import { upsertCatalogue } from "../market/catalogue";

let t: Awaited<ReturnType<typeof createTestDb>>;
beforeAll(async () => {
  t = await createTestDb();
  // Breakers open only on keys that exist: the instruments must be there.
  await upsertCatalogue(t.db);
});
afterAll(() => t.drop());

const as = (viewer: Viewer | null) => createCaller({ db: t.db, viewer });
const viewer = (role: Viewer["role"]): Viewer => ({
  id: "00000000-0000-0000-0000-000000000001",
  email: `${role}@x.test`,
  name: role,
  role,
});

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
    await expect(as(viewer("admin")).admin.overview()).resolves.toMatchObject({ users: 0 });
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
