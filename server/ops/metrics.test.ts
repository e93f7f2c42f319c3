import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { createTestDb } from "../../test/db";
import { ingestLeaderFill } from "../engine/ingest/leader-events";
import { pump } from "../engine/pump";
import { makeWorld } from "../engine/testing/test-world";
import { flushSamples } from "./metrics";

/**
 * Issue 13: an operator scrapes /api/metrics over real HTTP and sees the counters of a real
 * fan-out (submissions by outcome, replication lag) move; strangers are refused.
 */
let t: Awaited<ReturnType<typeof createTestDb>>;
let server: Server;
let base = "";
const TOKEN = "metrics-token-for-the-test-0123456789";

beforeAll(async () => {
  t = await createTestDb();
  process.env.DATABASE_URL = t.url; // the route's handle (server/db.ts) uses this database
  process.env.METRICS_TOKEN = TOKEN;
  const { GET } = await import("../../app/api/metrics/route");
  server = createServer((req, res) => {
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
    GET(new Request(`http://localhost${req.url}`, { headers })).then(async (r) => {
      res.writeHead(r.status, Object.fromEntries(r.headers));
      res.end(await r.text());
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  const holder = globalThis as unknown as { __tandemDb?: Promise<{ close(): Promise<void> }> };
  await (await holder.__tandemDb)?.close();
  await t.drop();
});

const scrape = async (auth?: string) =>
  fetch(`${base}/api/metrics`, auth ? { headers: { authorization: auth } } : {});

/** The value of one sample line of the text format, 0 when the series is not there yet. */
function value(text: string, series: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

describe("GET /api/metrics", () => {
  it("refuses without the token, and counts a real fan-out's submissions and lag", async () => {
    expect((await scrape()).status).toBe(401);
    expect((await scrape("Bearer not-the-token-at-all-000")).status).toBe(401);

    const before = await (await scrape(`Bearer ${TOKEN}`)).text();
    const w = await makeWorld(t.db, { followers: 4 });
    await ingestLeaderFill(w.deps, {
      leaderId: w.leaderId,
      fillId: "m1",
      orderId: "mo1",
      symbol: "XYZ",
      side: "buy",
      qty: "10",
      price: "100",
      at: w.clock.now(),
    });
    await pump(w.deps);
    const [filled] = await t.db.execute<{ n: number }>(
      sql`select count(*)::int as n from orders where status = 'filled'`,
    );
    expect(filled!.n).toBe(4);

    const r = await scrape(`Bearer ${TOKEN}`);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toContain("text/plain");
    const after = await r.text();
    const s = 'tandem_order_submissions_total{outcome="filled"}';
    expect(value(after, s) - value(before, s)).toBe(4);
    const lag = "tandem_replication_lag_seconds_count";
    expect(value(after, lag) - value(before, lag)).toBe(4);
    expect(after).toContain("# TYPE tandem_submit_to_fill_seconds histogram");
    expect(value(after, "tandem_queue_depth")).toBe(0);

    // The same counts reach metric_samples, where the Operations page sums every worker.
    await flushSamples(t.db, "test-worker");
    const [row] = await t.db.execute<{ n: string }>(
      sql`select sum(count)::text as n from metric_samples where name = 'order_submissions' and label = 'filled'`,
    );
    expect(Number(row!.n)).toBeGreaterThanOrEqual(4);
  });
});
