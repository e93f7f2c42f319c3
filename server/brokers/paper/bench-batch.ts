import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { connect } from "../../../db/client";
import { instruments, quotes } from "../../../db/schema/instruments";
import { startThrowawayServer } from "../../../db/embedded";
import { applyMigrations } from "../../../db/migrate";
import { systemClock } from "../../domain/clock";
import { freePort } from "../../../test/free-port";
import type { OrderRequest } from "../types";
import { PaperBroker } from "./paper-broker";

/**
 * `npx tsx server/brokers/paper/bench-batch.ts [N …] [--single N] [--chunk C]`: N accounts (bulk SQL,
 * not timed), then ONE placeOrders call with N market orders on the same symbol, one per
 * account, on a fresh database (a throwaway embedded PostgreSQL, or a new database on
 * DATABASE_URL's server). Then readEventsMany over the N accounts. `--single N` also times
 * N placeOrder calls one by one, for comparison; `--chunk` sets placeOrdersChunk. One JSON line per run.
 *
 * The broker gets a pool of ONE connection, so its PostgreSQL backend is a single process:
 * `dbCpuMs` is that backend's CPU time (from /proc, 10 ms resolution; null when the server
 * is not local), `nodeCpuMs` this process's CPU time, `wallMs` the elapsed time.
 */

const args = process.argv.slice(2);
const flag = (name: string): number | undefined => {
  const at = args.indexOf(name);
  if (at < 0) return undefined;
  const value = Number(args[at + 1]);
  args.splice(at, 2);
  return value;
};
const singleN = flag("--single") ?? 0;
const chunk = flag("--chunk");
const sizes = args.map(Number).filter((n) => n > 0);
const ns = sizes.length ? sizes : [1000, 10000];

const server = process.env.DATABASE_URL
  ? null
  : await startThrowawayServer(
      mkdtempSync(path.join(os.tmpdir(), "tandem-bench-batch-")),
      await freePort(),
    );
const adminUrl = process.env.DATABASE_URL ?? server!.url;
try {
  for (const n of ns) console.log(JSON.stringify(await runOnce(n, "batch")));
  if (singleN > 0) console.log(JSON.stringify(await runOnce(singleN, "single")));
} finally {
  await server?.stop();
}
process.exit(0);

function backendCpuMs(pid: number): number | null {
  const file = `/proc/${pid}/stat`;
  if (!existsSync(file)) return null;
  // Fields after the ")" of the command name: utime and stime are fields 14 and 15.
  const rest = readFileSync(file, "utf8").split(") ")[1]!.split(" ");
  return ((Number(rest[11]) + Number(rest[12])) * 1000) / 100; // CLK_TCK = 100
}

async function runOnce(n: number, mode: "batch" | "single") {
  const name = `tandem_bench_batch_${n}_${Date.now().toString(36)}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  await applyMigrations(u.toString());
  const h = connect(u.toString(), { max: 1 });
  try {
    const db = h.db;
    await db.insert(instruments).values({
      symbol: "XYZ",
      name: "Bench equity",
      assetClass: "equity",
      currency: "USD",
      tickSize: "0.01",
      qtyStep: "1",
      minQty: "1",
      minNotional: "0",
      multiplier: "1",
      maxLeverage: "1",
      commissionPerUnit: "0.005",
      tradingHours: { timeZone: "UTC", sessions: [] },
    });
    await db.insert(quotes).values({ symbol: "XYZ", bid: "100.00", ask: "100.02", at: new Date() });
    await db.execute(sql`
      insert into paper_accounts (id, cash, created_at)
      select 'F' || lpad(g::text, 6, '0'), 1000000, now() from generate_series(1, ${n}) g`);
    await db.execute(sql`analyze`);
    const broker = new PaperBroker({
      db,
      clock: systemClock,
      seed: "bench",
      placeOrdersChunk: chunk,
    });
    const reqs: OrderRequest[] = Array.from({ length: n }, (_, i) => ({
      accountId: `F${String(i + 1).padStart(6, "0")}`,
      clientOrderId: `leader-fill-1:F${i + 1}`,
      symbol: "XYZ",
      side: "buy",
      type: "market",
      qty: String(1 + (i % 50)),
    }));
    const pid = (await db.execute<{ pid: number }>(sql`select pg_backend_pid() as pid`))[0]!.pid;

    const measure = async <T>(fn: () => Promise<T>) => {
      const db0 = backendCpuMs(pid);
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const value = await fn();
      const wallMs = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      const db1 = backendCpuMs(pid);
      return {
        value,
        wallMs: Math.round(wallMs),
        nodeCpuMs: Math.round((cpu.user + cpu.system) / 1000),
        dbCpuMs: db0 === null || db1 === null ? null : Math.round(db1 - db0),
      };
    };

    const place =
      mode === "batch"
        ? await measure(() => broker.placeOrders(reqs))
        : await measure(async () => {
            const out = [];
            for (const r of reqs) out.push(await broker.placeOrder(r).then(() => ({ ok: true })));
            return out;
          });
    const ok = place.value.filter((r) => r.ok).length;
    const counts = (
      await db.execute<{
        orders: string;
        filled: string;
        fills: string;
        events: string;
        eventRows: string;
      }>(sql`
        select (select count(*) from paper_orders) as orders,
               (select count(*) from paper_orders where status = 'filled') as filled,
               (select count(*) from paper_fills) as fills,
               (select sum(case when jsonb_typeof(event) = 'array'
                                then jsonb_array_length(event) else 1 end)
                  from paper_events) as events,
               (select count(*) from paper_events) as "eventRows"`)
    )[0]!;
    const read = await measure(() =>
      broker.readEventsMany(reqs.map((r) => ({ accountId: r.accountId, afterSeq: 0 }))),
    );
    const events = [...read.value.values()].reduce((s, e) => s + e.length, 0);
    return {
      mode,
      n,
      chunk: chunk ?? 2000,
      placeOrders: { wallMs: place.wallMs, dbCpuMs: place.dbCpuMs, nodeCpuMs: place.nodeCpuMs },
      ok,
      orders: Number(counts.orders),
      filled: Number(counts.filled),
      fills: Number(counts.fills),
      events: Number(counts.events),
      eventRows: Number(counts.eventRows),
      readEventsMany: {
        wallMs: read.wallMs,
        dbCpuMs: read.dbCpuMs,
        nodeCpuMs: read.nodeCpuMs,
        events,
      },
    };
  } finally {
    await h.close();
    await admin.unsafe(`drop database if exists "${name}" with (force)`);
    await admin.end();
  }
}
