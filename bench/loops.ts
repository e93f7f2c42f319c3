import { sql } from "drizzle-orm";
import postgres from "postgres";
import { connect } from "../db/client";
import { applyMigrations } from "../db/migrate";
import { PaperBroker } from "../server/brokers/paper";
import { systemClock } from "../server/domain/clock";
import { createRng } from "../server/domain/random";
import { checkCopyStopLoss } from "../server/engine/copies/stops";
import { WORKER_CONFIG, silentLog, type EngineDeps } from "../server/engine/deps";
import { ensureLeaderBook } from "../server/engine/ingest/leader-book";
import { ingestLeaderFill } from "../server/engine/ingest/leader-events";
import { snapshotEquity } from "../server/engine/ops/snapshots";
import { pump } from "../server/engine/pump";
import { reconcile } from "../server/engine/reconcile/reconcile";
import { measureRawInsertRowsPerSec } from "./lib/raw-insert";
import { benchServer, sizesFromArgs } from "./lib/server";

/**
 * `npm run bench:loops [-- 10000]`: the worker's periodic loops at N copies on a fresh
 * PostgreSQL — reconciliation (broker truth and every copy against its target), the copy
 * stop-loss evaluation of one quote, and the day's equity snapshots. The copies are made
 * real first (a leader fill fanned out, submitted, filled and booked through the engine and
 * the paper broker; not timed), so each loop sees the rows it sees in production. One JSON
 * line per loop, each with raw INSERT rows/s measured in the same run and the ratio of
 * copies handled per second to it, so the figure survives a busy machine.
 */
const ns = sizesFromArgs([10_000]);
const QUOTES = 10;

const server = await benchServer();
try {
  for (const n of ns) for (const line of await runOnce(n)) console.log(JSON.stringify(line));
} finally {
  await server.stop();
}
process.exit(0);

async function runOnce(n: number) {
  const name = `tandem_loops_${n}_${Date.now().toString(36)}`;
  const admin = postgres(server.adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  const u = new URL(server.adminUrl);
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
    const leaderId = await setup(db, n, paper);
    await ingestLeaderFill(deps, {
      leaderId,
      fillId: "loops-1",
      orderId: "loops-o-1",
      symbol: "XYZ",
      side: "buy",
      qty: "1000",
      price: "100",
      at: new Date(),
    });
    for (;;) {
      await pump(deps);
      const [left] = await db.execute<{ n: string }>(
        sql`select count(*) as n from orders where status <> 'filled'`,
      );
      if (Number(left!.n) === 0) break;
    }
    // Every copy holds 10 XYZ; the stop-loss is armed far below, so evaluation is measured
    // without stops (each stop is a transaction of its own, not the loop's cost).
    await db.execute(sql`update copy_relationships set copy_stop_loss_pct = '50'`);
    // Tables filled in bulk a moment ago have no statistics yet; a live database has them
    // (autovacuum), and without them the planner picks nested loops over 10 000 rows.
    await db.execute(sql`analyze`);
    const raw = await measureRawInsertRowsPerSec(h.sql);
    const line = (bench: string, ms: number, extra: Record<string, unknown>) => {
      const copiesPerSec = (n / ms) * 1000;
      return {
        bench,
        copies: n,
        wallMs: Math.round(ms),
        copiesPerSec: Math.round(copiesPerSec),
        ...extra,
        rawInsertRowsPerSec: Math.round(raw),
        ratio: Number((copiesPerSec / raw).toFixed(4)),
      };
    };
    const out = [];

    let t0 = performance.now();
    const run = await reconcile(deps, "periodic");
    out.push(
      line("reconcile", performance.now() - t0, {
        mismatches: run.mismatches,
        actions: run.actions,
      }),
    );

    const perQuote: number[] = [];
    let stopped = 0;
    let bid = 100;
    for (let i = 0; i < QUOTES; i++) {
      bid += i % 2 ? 0.01 : -0.01;
      await db.execute(
        sql`update quotes set bid = ${bid.toFixed(2)}, ask = ${(bid + 0.02).toFixed(2)} where symbol = 'XYZ'`,
      );
      t0 = performance.now();
      stopped += (await checkCopyStopLoss(deps, "XYZ")).length;
      perQuote.push(performance.now() - t0);
    }
    perQuote.sort((a, b) => a - b);
    const p50 = perQuote[Math.floor(perQuote.length / 2)]!;
    out.push({
      ...line("stoploss", p50, { quotes: QUOTES, stopped }),
      perQuoteMs: { p50: Math.round(p50), max: Math.round(perQuote.at(-1)!) },
    });

    t0 = performance.now();
    const rows = await snapshotEquity(deps);
    out.push(line("snapshots", performance.now() - t0, { rows }));
    return out;
  } finally {
    await h.close();
    await admin.unsafe(`drop database if exists "${name}" with (force)`);
    await admin.end();
  }
}

/** A leader and N followers, each with a paper account and a copy, written in bulk (not timed). */
async function setup(db: EngineDeps["db"], n: number, paper: PaperBroker): Promise<string> {
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
  return leaderId;
}
