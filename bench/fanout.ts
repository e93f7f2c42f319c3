import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { connect } from "../db/client";
import { startThrowawayServer } from "../db/embedded";
import { applyMigrations } from "../db/migrate";
import { PaperBroker } from "../server/brokers/paper";
import { systemClock } from "../server/domain/clock";
import { createRng } from "../server/domain/random";
import { WORKER_CONFIG, silentLog, type EngineDeps } from "../server/engine/deps";
import { ingestLeaderFill } from "../server/engine/ingest/leader-events";
import { ensureLeaderBook } from "../server/engine/ingest/leader-book";
import { consumeBrokerEventsMany } from "../server/engine/book/broker-events-batch";
import { submitDueOrders } from "../server/engine/execute/submit";
import { accountsToPoll, pump } from "../server/engine/pump";
import { replicateLeader } from "../server/engine/replicate/replicate";
import { freePort } from "../test/free-port";
import { measureRawInsertRowsPerSec } from "./lib/raw-insert";

/**
 * `npm run bench:fanout [-- 1 100 1000 10000]`: one leader fill fanned out to N followers
 * on a fresh PostgreSQL (embedded, or a new database on DATABASE_URL's server), through the
 * engine loop the worker runs and the paper broker, until every follower order is filled
 * and booked. Prints one JSON line per size. Set-up (accounts, copies) is not timed.
 */
const sizes = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => n > 0);
const ns = sizes.length ? sizes : [1, 100, 1000, 10000];

const server = process.env.DATABASE_URL
  ? null
  : await startThrowawayServer(
      mkdtempSync(path.join(os.tmpdir(), "tandem-bench-")),
      await freePort(),
    );
const adminUrl = process.env.DATABASE_URL ?? server!.url;
try {
  for (const n of ns) console.log(JSON.stringify(await runOnce(n)));
} finally {
  await server?.stop();
}
process.exit(0);

async function runOnce(n: number) {
  const name = `tandem_bench_${n}_${Date.now().toString(36)}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  await applyMigrations(u.toString());
  const h = connect(u.toString(), { max: 10 });
  try {
    const db = h.db;
    const paper = new PaperBroker({ db, clock: systemClock, seed: "bench" });
    const deps: EngineDeps = {
      db,
      broker: () => paper,
      clock: systemClock,
      rng: createRng("bench"),
      log: silentLog,
      config: WORKER_CONFIG,
      owner: "bench",
    };
    await setup(db, n, paper);
    const leaderId = (await db.execute<{ id: string }>(sql`select id from leaders limit 1`))[0]!.id;

    const t0 = performance.now();
    await ingestLeaderFill(deps, {
      leaderId,
      fillId: "bench-1",
      orderId: "bench-o-1",
      symbol: "XYZ",
      side: "buy",
      qty: "1000",
      price: "100",
      at: new Date(),
    });
    const phases: Record<string, number> = {};
    const timed = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
      const s0 = performance.now();
      try {
        return await fn();
      } finally {
        phases[name] = Math.round((phases[name] ?? 0) + performance.now() - s0);
      }
    };
    // The worker's loop, step by step so the time of each step can be reported.
    await timed("replicate", () => replicateLeader(deps, leaderId));
    await timed("submit", () => submitDueOrders(deps, { limit: 20_000 }));
    await timed("events+booking", async () =>
      consumeBrokerEventsMany(deps, await accountsToPoll(deps)),
    );
    for (;;) {
      await timed("rest", () => pump(deps));
      const [left] = await db.execute<{ n: string }>(
        sql`select count(*) as n from orders where status <> 'filled'`,
      );
      if (Number(left!.n) === 0) break;
    }
    const wallMs = performance.now() - t0;
    const [booked] = await db.execute<{ orders: string; fills: string; journals: string }>(
      sql`select (select count(*) from orders where status = 'filled') as orders, (select count(*) from fills) as fills, (select count(*) from journals where kind = 'trade') as journals`,
    );
    const lags = (
      await db.execute<{ ms: string }>(
        sql`select extract(epoch from (p.created_at - lf.recorded_at)) * 1000 as ms from paper_orders p, leader_fills lf where lf.broker_trade_id = 'bench-1' order by 1`,
      )
    ).map((r) => Number(r.ms));
    const raw = await measureRawInsertRowsPerSec(h.sql);
    const copiesPerSec = (n / wallMs) * 1000;
    return {
      followers: n,
      wallMs: Math.round(wallMs),
      copiesPerSec: Math.round(copiesPerSec),
      lagMs: { p50: Math.round(pct(lags, 0.5)), p99: Math.round(pct(lags, 0.99)) },
      phasesMs: phases,
      booked: {
        orders: Number(booked!.orders),
        fills: Number(booked!.fills),
        tradeJournals: Number(booked!.journals),
      },
      rawInsertRowsPerSec: Math.round(raw),
      ratio: Number((copiesPerSec / raw).toFixed(4)),
    };
  } finally {
    await h.close();
    await admin.unsafe(`drop database if exists "${name}" with (force)`);
    await admin.end();
  }
}

/** Followers, accounts and copies written in bulk: set-up is not what is measured. */
async function setup(db: EngineDeps["db"], n: number, paper: PaperBroker) {
  const now = new Date();
  await db.execute(sql`insert into instruments (symbol, name, asset_class, currency, tick_size, qty_step, min_qty, min_notional, multiplier, commission_per_unit, trading_hours)
    values ('XYZ', 'XYZ', 'equity', 'USD', '0.01', '1', '1', '1', '1', '0.005', '{"timeZone":"UTC","sessions":[]}')`);
  await paper.onQuote({ symbol: "XYZ", bid: "99.99", ask: "100.01", at: now });
  await db.execute(
    sql`insert into users (id, email, password_hash, display_name, role) values (gen_random_uuid(), 'leader@bench', '!', 'Leader', 'leader')`,
  );
  await db.execute(
    sql`insert into broker_accounts (user_id, broker, external_id) select id, 'paper', 'L' from users where email = 'leader@bench'`,
  );
  await db.execute(sql`insert into leaders (user_id, handle, display_name, broker_account_id, track_record_started_at)
    select u.id, 'bench', 'Bench', a.id, now() from users u join broker_accounts a on a.user_id = u.id where u.email = 'leader@bench'`);
  const leaderId = (await db.execute<{ id: string }>(sql`select id from leaders limit 1`))[0]!.id;
  await ensureLeaderBook(db, leaderId, "1000000", now);
  await paper.openAccount({ accountId: "L", cash: "1000000" });
  await db.execute(
    sql`insert into users (email, password_hash, display_name, role) select 'f' || g || '@bench', '!', 'F' || g, 'follower' from generate_series(1, ${n}) g`,
  );
  await db.execute(
    sql`insert into broker_accounts (user_id, broker, external_id) select id, 'paper', 'bf-' || id from users where role = 'follower'`,
  );
  await db.execute(
    sql`insert into account_balances (broker_account_id, currency, cash, updated_at) select id, 'USD', '100000', now() from broker_accounts where external_id like 'bf-%'`,
  );
  await db.execute(
    sql`insert into paper_accounts (id, currency, cash, created_at) select external_id, 'USD', '100000', now() from broker_accounts where external_id like 'bf-%'`,
  );
  // r = 10000 / 1000000 = 0.01: the leader's 1000 becomes 10 for every follower.
  await db.execute(sql`insert into copy_relationships (follower_id, leader_id, broker_account_id, status, sizing_mode, allocation, ratio, reference_capital, agreement_version, consented_at, started_at)
    select a.user_id, ${leaderId}, a.id, 'active', 'proportional', '10000', '0.01', '10000', 'bench', now(), now() from broker_accounts a where a.external_id like 'bf-%'`);
}

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}
