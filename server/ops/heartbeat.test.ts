import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { orders } from "../../db/schema";
import { createTestDb } from "../../test/db";
import { makeWorld } from "../engine/testing/test-world";
import { createHeartbeat, workerLiveness, WORKER_STALE_MS } from "./heartbeat";

/**
 * Issue 14: with the worker down, orders sat in pending_submit and /api/health still said
 * healthy. Health now follows the worker's heartbeat and the oldest due unsent order.
 */
let t: Awaited<ReturnType<typeof createTestDb>>;
let GET: () => Promise<Response>;

beforeAll(async () => {
  t = await createTestDb();
  // The route's handle (server/db.ts) connects to DATABASE_URL: this test's database.
  process.env.DATABASE_URL = t.url;
  ({ GET } = await import("../../app/api/health/route"));
});
afterAll(async () => {
  const holder = globalThis as unknown as { __tandemDb?: Promise<{ close(): Promise<void> }> };
  await (await holder.__tandemDb)?.close();
  await t.drop();
});

const health = async () => {
  const r = await GET();
  return {
    code: r.status,
    body: (await r.json()) as {
      status: string;
      orders: { pendingSubmit: number; oldestPendingSubmitAgeMs: number };
    },
  };
};

describe("worker heartbeat and /api/health", () => {
  it("is unhealthy without a beating worker, healthy with one, degraded when orders wait", async () => {
    let h = await health();
    expect(h.code).toBe(503);
    expect(h.body).toMatchObject({
      status: "unhealthy",
      database: { ok: true },
      worker: { ok: false },
    });

    let now = new Date();
    const beat = createHeartbeat(t.db, "host:1", "test", () => now);
    await beat.beat();
    h = await health();
    expect(h.code).toBe(200);
    expect(h.body).toMatchObject({ status: "healthy", worker: { ok: true, live: 1 } });

    // Stale: the beat is older than the limit (a killed worker writes nothing more).
    const later = new Date(now.getTime() + WORKER_STALE_MS + 1000);
    expect(await workerLiveness(t.db, later)).toMatchObject({ up: false, live: 0 });
    // Throttled: a second beat within the interval writes nothing.
    now = new Date(now.getTime() + 500);
    await beat.beat();
    expect((await workerLiveness(t.db, later)).up).toBe(false);

    // An order due two minutes ago and still unsent: the worker is not keeping up.
    const w = await makeWorld(t.db, { followers: 1 });
    const old = new Date(Date.now() - 120_000);
    await t.db.insert(orders).values({
      clientOrderId: "c-waiting",
      brokerAccountId: w.followers[0]!.accountId,
      symbol: "XYZ",
      side: "buy",
      qty: "1",
      origin: "manual",
      createdAt: old,
      updatedAt: old,
    });
    now = new Date();
    await createHeartbeat(t.db, "host:2", "test", () => now).beat();
    h = await health();
    expect(h.code).toBe(503);
    expect(h.body.status).toBe("degraded");
    expect(h.body.orders.pendingSubmit).toBe(1);
    expect(h.body.orders.oldestPendingSubmitAgeMs).toBeGreaterThanOrEqual(119_000);

    // A worker that stops cleanly is gone at once.
    await beat.remove();
    expect((await workerLiveness(t.db)).live).toBe(1);
  });
});
