import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { count, eq, like } from "drizzle-orm";
import superjson from "superjson";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb } from "../../test/db";
import { auditLog, users } from "../../db/schema";
import { appRouter, createCaller } from "../api/root";
import type { Viewer } from "./sessions";
import { signUp } from "./accounts";
import { MUTATION_POLICY, postgresLimiter, retryAfterHeaders } from "./rate-limits";

let t: Awaited<ReturnType<typeof createTestDb>>;
let ann: Viewer;
beforeAll(async () => {
  t = await createTestDb();
  const u = await signUp(t.db, {
    email: "ann@example.test",
    password: "ann-password-1",
    displayName: "Ann",
  });
  ann = { ...u };
});
afterAll(() => t.drop());

const settle = <T>(ps: Promise<T>[]) =>
  Promise.all(
    ps.map((p) =>
      p.then(
        () => "ok",
        (e: { code?: string; message?: string }) => e,
      ),
    ),
  );

describe("rate limits on PostgreSQL", () => {
  it("RateLimiterPostgres runs on our postgres.js pool through the adapter, atomically", async () => {
    const l = postgresLimiter(t.db, { keyPrefix: "adapter", points: 3, duration: 60 });
    const results = await settle(Array.from({ length: 10 }, () => l.consume("k")));
    expect(results.filter((r) => r === "ok")).toHaveLength(3);
    const got = await l.get("k");
    expect(got?.consumedPoints).toBe(10);
    expect(got!.msBeforeNext).toBeGreaterThan(50_000);
    expect(got!.msBeforeNext).toBeLessThanOrEqual(60_000);
    await l.reward("k", 10);
    expect((await l.get("k"))?.consumedPoints).toBe(0);
    expect(await l.delete("k")).toBe(true);
    expect(await l.get("k")).toBeNull();
  });

  it("every mutation counts per user: parallel calls past the budget answer TOO_MANY_REQUESTS in words", async () => {
    // Before: 200 pause/resume calls and 30 deposits went through untouched.
    const n = MUTATION_POLICY.any.user.points;
    const caller = createCaller({
      db: t.db,
      viewer: ann,
      client: { ip: "198.51.100.5", userAgent: "x" },
    });
    const results = await settle(
      Array.from({ length: n + 10 }, () => caller.auth.signOutEverywhere()),
    );
    expect(results.filter((r) => r === "ok")).toHaveLength(n);
    const refused = results.filter((r) => r !== "ok") as { code: string; message: string }[];
    expect(refused).toHaveLength(10);
    for (const r of refused) {
      expect(r.code).toBe("TOO_MANY_REQUESTS");
      expect(r.message).toMatch(/^Too many requests\. Try again in \d+ (seconds?|minutes?)\.$/);
    }
    // The refused calls changed nothing: one audit row per call that ran.
    const [rows] = await t.db
      .select({ n: count() })
      .from(auditLog)
      .where(eq(auditLog.action, "user.sign_out_everywhere"));
    expect(rows!.n).toBe(n);
  });

  it("sign-ups are limited per address, before any account is made", async () => {
    // Before: 30 funded sign-ups from one address all went through.
    const n = MUTATION_POLICY["auth.signUp"].ip.points;
    const caller = createCaller({
      db: t.db,
      viewer: null,
      client: { ip: "203.0.113.9", userAgent: "bot" },
    });
    const results = await settle(
      Array.from({ length: n + 3 }, (_, i) =>
        caller.auth.signUp({
          email: `bot-${i}@example.test`,
          password: "bot-password-1",
          displayName: "Bot",
        }),
      ),
    );
    expect(results.filter((r) => r === "ok")).toHaveLength(n);
    expect(results.filter((r) => r !== "ok").map((r) => (r as { code: string }).code)).toEqual(
      Array(3).fill("TOO_MANY_REQUESTS"),
    );
    const [made] = await t.db.select({ n: count() }).from(users).where(like(users.email, "bot-%"));
    expect(made!.n).toBe(n);
    // Another address is not affected.
    const other = createCaller({
      db: t.db,
      viewer: null,
      client: { ip: "203.0.113.10", userAgent: "x" },
    });
    await expect(
      other.auth.signUp({
        email: "human@example.test",
        password: "human-password",
        displayName: "Hu",
      }),
    ).resolves.toMatchObject({ ok: true });
  });

  it("the leader trade ticket has its own tighter limit", async () => {
    const n = MUTATION_POLICY["leaderConsole.placeOrder"].user.points;
    const leaderViewer: Viewer = {
      ...ann,
      id: "11111111-1111-4111-8111-111111111111",
      role: "leader",
    };
    const caller = createCaller({
      db: t.db,
      viewer: leaderViewer,
      client: { ip: "198.51.100.77", userAgent: "x" },
    });
    const results = await settle(
      Array.from({ length: n + 5 }, () =>
        caller.leaderConsole.placeOrder({ symbol: "AAPL", side: "buy", type: "market", qty: "1" }),
      ),
    );
    const codes = results.map((r) => (r === "ok" ? "ok" : (r as { code: string }).code));
    // This viewer has no leader profile: the calls let through fail on that, not on the limit.
    expect(codes.filter((c) => c !== "TOO_MANY_REQUESTS")).toHaveLength(n);
    expect(codes.filter((c) => c === "TOO_MANY_REQUESTS")).toHaveLength(5);
  });

  it("over HTTP a refusal is a 429 with Retry-After", async () => {
    const handler = (req: Request) =>
      fetchRequestHandler({
        endpoint: "/api/trpc",
        req,
        router: appRouter,
        createContext: () => ({
          db: t.db,
          viewer: ann,
          client: { ip: "198.51.100.88", userAgent: "curl" },
        }),
        responseMeta: ({ errors }) => ({ headers: retryAfterHeaders(errors) }),
      });
    // Use up the budget, then one more.
    const caller = createCaller({
      db: t.db,
      viewer: { ...ann, id: ann.id },
      client: { ip: "198.51.100.88", userAgent: "x" },
    });
    await settle(Array.from({ length: 60 }, () => caller.auth.signOutEverywhere()));
    const res = await handler(
      new Request("http://localhost/api/trpc/auth.signOutEverywhere", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(superjson.serialize(undefined)),
      }),
    );
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    const body = (await res.json()) as { error: { json: { message: string } } };
    expect(body.error.json.message).toMatch(/Too many requests\. Try again in/);
  });
});
