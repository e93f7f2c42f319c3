import { sql } from "drizzle-orm";
import postgres from "postgres";
import { connect } from "../../db/client";
import { applyMigrations } from "../../db/migrate";
import type { BrokerAdapter } from "../../server/brokers/types";
import { PaperBroker } from "../../server/brokers/paper";
import { systemClock } from "../../server/domain/clock";
import { createRng } from "../../server/domain/random";
import { brokerCommissions, brokerSettlement } from "../../server/domain/bookkeeping";
import { WORKER_CONFIG, silentLog, type EngineDeps } from "../../server/engine/deps";
import { ingestLeaderFill } from "../../server/engine/ingest/leader-events";
import { ensureLeaderBook } from "../../server/engine/ingest/leader-book";
import { consumeBrokerEventsMany } from "../../server/engine/book/broker-events-batch";
import { submitDueOrders, type Claimed } from "../../server/engine/execute/submit";
import { accountsToPoll, pump } from "../../server/engine/pump";
import { replicateLeader } from "../../server/engine/replicate/replicate";
import { MemoryBroker } from "./memory-broker";
import { measureRawInsertRowsPerSec } from "./raw-insert";
import { dbCpuReader, nodeCpuMs } from "./cpu";

export type BrokerKind = "paper" | "memory";

/** The bench leader's k-th fill: 1 000 XYZ at 100 (10 for each follower at ratio 0.01). */
const benchFill = (leaderId: string, k: number, side: "buy" | "sell") => ({
  leaderId,
  fillId: `bench-${k}`,
  orderId: `bench-o-${k}`,
  symbol: "XYZ",
  side,
  qty: "1000",
  price: "100",
  at: new Date(),
});

/**
 * When each follower order of one leader fill was booked, as the process sees it: after
 * every engine step, the orders that are now filled (committed) count at the end of that
 * step, the first moment anyone could read them. Not the order's `updated_at`: a booking
 * stamps its rows with its clock as it starts, which leaves the booking's own duration out
 * of the lag (at 10 000 followers, most of a second; ADR 0041, session 11). The counting
 * queries are the benchmark's, not the engine's: their time is left out of `elapsed`.
 */
class BookedClock {
  readonly lags: number[] = [];
  private seen = 0;
  private paused = 0;
  private readonly t0 = performance.now();
  constructor(
    private readonly db: EngineDeps["db"],
    private readonly fillId: string,
  ) {}
  elapsed(): number {
    return performance.now() - this.t0 - this.paused;
  }
  /** Records the orders booked since the last mark; returns how many are booked in all. */
  async mark(): Promise<number> {
    const at = this.elapsed();
    const p0 = performance.now();
    const [r] = await this.db.execute<{ n: string }>(
      sql`select count(*) as n from orders where leader_fill_id = ${this.fillId} and status = 'filled'`,
    );
    const booked = Number(r!.n);
    for (; this.seen < booked; this.seen++) this.lags.push(at);
    this.paused += performance.now() - p0;
    return booked;
  }
}

/** Leader fills after the first, at 100 followers or fewer, for the lag of a warm worker. */
const STEADY_FILLS = 40;
/**
 * Above 100 followers, two more leader fills (a sell, then the buy back), each timed to its
 * last order booked: the first fill opens every follower's position (inserts, and their
 * foreign-key checks), these change positions that exist, as most of a leader's fills do.
 */
const NEXT_FILLS = 2;

/**
 * One leader fill fanned out to `n` followers on a fresh database of the server at
 * `adminUrl`, through the engine steps the worker runs, until every follower order is
 * filled and booked. Set-up (accounts, copies) is not timed. `rowsPerCopy` counts every
 * row inserted, updated or deleted in the run (PostgreSQL's own table statistics, read after
 * the engine's connections are closed so every backend has flushed them) per follower.
 */
export async function runFanout(
  adminUrl: string,
  n: number,
  kind: BrokerKind,
  opts: { batch?: number } = {},
) {
  const name = `tandem_bench_${kind}_${n}_${Date.now().toString(36)}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  const url = u.toString();
  await applyMigrations(url);
  const stats = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const planMs = { total: 0 };
    const memory = new MemoryBroker(new Map([["XYZ", "100.01"]]));
    const engineDeps = (db: EngineDeps["db"]): EngineDeps => {
      const broker: BrokerAdapter =
        kind === "paper"
          ? new PaperBroker({
              db,
              clock: systemClock,
              seed: "bench",
              ...(opts.batch ? { placeOrdersChunk: opts.batch } : {}),
            })
          : memory;
      return {
        db,
        broker: () => broker,
        clock: systemClock,
        rng: createRng("bench"),
        log: {
          ...silentLog,
          // The fan-out logs its planning time per batch: summed for planUsPerFollower.
          info(obj: object) {
            const ms = (obj as { planMs?: number }).planMs;
            if (typeof ms === "number") planMs.total += ms;
          },
        },
        config: opts.batch ? { ...WORKER_CONFIG, submitBatchSize: opts.batch } : WORKER_CONFIG,
        owner: "bench",
      };
    };

    const s = connect(url, { max: 2 });
    try {
      await setup(s.db, n, kind, memory);
    } finally {
      await s.close();
    }
    await stats`analyze`;
    const rows0 = await rowsWritten(stats);

    const h = connect(url, { max: 10 });
    const deps = engineDeps(h.db);
    const leaderId = (await h.db.execute<{ id: string }>(sql`select id from leaders limit 1`))[0]!
      .id;
    const phases: Record<string, number> = {};
    // CPU milliseconds per step, this process and the database server: far steadier than
    // wall time on a busy machine (bench/lib/cpu.ts).
    const cpu: Record<string, { node: number; db: number }> = {};
    const dbCpu = (await dbCpuReader(stats)) ?? (() => Number.NaN);
    const timed = async <T>(step: string, fn: () => Promise<T>): Promise<T> => {
      const s0 = performance.now();
      const n0 = nodeCpuMs();
      const d0 = dbCpu();
      try {
        return await fn();
      } finally {
        phases[step] = Math.round((phases[step] ?? 0) + performance.now() - s0);
        const c = (cpu[step] ??= { node: 0, db: 0 });
        c.node = Math.round(c.node + nodeCpuMs() - n0);
        c.db = Math.round(c.db + dbCpu() - d0);
      }
    };
    const clock = new BookedClock(h.db, "bench-1");
    await timed("ingest", () => ingestLeaderFill(deps, benchFill(leaderId, 1, "buy")));
    // The worker's loop (one `pump` round), step by step so the time of each step can be
    // reported; with the worker's settings, so the submission claims what the worker's does.
    // The orders the fan-out hands to the submission, as the worker's pump passes them on.
    const fresh: Claimed[] = [];
    await timed("replicate", () => replicateLeader(deps, leaderId, { fresh }));
    await clock.mark();
    await timed("submit", () => submitDueOrders(deps, { fresh }));
    await clock.mark();
    await timed("events+booking", async () =>
      consumeBrokerEventsMany(deps, await accountsToPoll(deps)),
    );
    while ((await clock.mark()) < n) await timed("rest", () => pump(deps));
    const wallMs = clock.elapsed();
    // Lag: the leader fill's arrival to each follower's order booked (BookedClock).
    const lags = clock.lags;
    const [booked] = await h.db.execute<{ orders: string; fills: string; journals: string }>(
      sql`select (select count(*) from orders where status = 'filled') as orders, (select count(*) from fills) as fills, (select count(*) from journals where kind = 'trade') as journals`,
    );
    const raw = await measureRawInsertRowsPerSec(h.sql);
    await h.close();
    await new Promise((r) => setTimeout(r, 300));
    const rows = rowsPerFollower(rows0, await rowsWritten(stats), n);
    // Lag in a running worker: at small sizes, more leader fills one after another in the
    // same process and world (warm code), each through the same steps, after the rows and
    // counts above are read. One
    // cold fill says more about start-up than about the engine (ADR 0041, session 10).
    const steady: number[] = [];
    const next: number[] = [];
    const w = connect(url, { max: 10 });
    const warm = engineDeps(w.db);
    for (let k = 2; k <= (n <= 100 ? STEADY_FILLS : NEXT_FILLS) + 1; k++) {
      const fill = new BookedClock(w.db, `bench-${k}`);
      // Sell and buy back in turn: positions and cash stay where they were.
      await ingestLeaderFill(warm, benchFill(leaderId, k, k % 2 === 0 ? "sell" : "buy"));
      const fresh: Claimed[] = [];
      await replicateLeader(warm, leaderId, { fresh });
      await submitDueOrders(warm, { fresh });
      await consumeBrokerEventsMany(warm, await accountsToPoll(warm));
      while ((await fill.mark()) < n && (await pump(warm)) > 0);
      if (n <= 100) steady.push(...fill.lags);
      else next.push(Math.round(fill.elapsed()));
    }
    await w.close();
    steady.sort((a, b) => a - b);
    const copiesPerSec = (n / wallMs) * 1000;
    return {
      bench: kind === "paper" ? "fanout" : "fanout-engine",
      followers: n,
      ...(opts.batch ? { batch: opts.batch } : {}),
      wallMs: Math.round(wallMs),
      copiesPerSec: Math.round(copiesPerSec),
      lagMs: { p50: Math.round(pct(lags, 0.5)), p99: Math.round(pct(lags, 0.99)) },
      ...(steady.length
        ? {
            steadyLagMs: {
              fills: STEADY_FILLS,
              p50: Number(pct(steady, 0.5).toFixed(1)),
              p99: Number(pct(steady, 0.99).toFixed(1)),
            },
          }
        : {}),
      ...(next.length ? { nextFillsMs: next } : {}),
      rowsPerCopy: rows.total,
      planUsPerFollower: Number(((planMs.total * 1000) / n).toFixed(1)),
      rawInsertRowsPerSec: Math.round(raw),
      ratio: Number((copiesPerSec / raw).toFixed(4)),
      phasesMs: phases,
      cpuMs: {
        node: Object.values(cpu).reduce((a, c) => a + c.node, 0),
        db: Object.values(cpu).reduce((a, c) => a + c.db, 0),
        byPhase: cpu,
      },
      rowsPerCopyByTable: rows.byTable,
      booked: {
        orders: Number(booked!.orders),
        fills: Number(booked!.fills),
        tradeJournals: Number(booked!.journals),
      },
    };
  } finally {
    await stats.end();
    await admin.unsafe(`drop database if exists "${name}" with (force)`);
    await admin.end();
  }
}

/**
 * `--batch 500,1000,2000`: broker batch sizes (submission and paper placement) to compare,
 * each run in turn for every follower count, one JSON line each with its own raw INSERT
 * rate; [undefined] = the default. (sizesFromArgs ignores these arguments: not numbers.)
 */
export function batchesFromArgs(): Array<number | undefined> {
  const args = process.argv.slice(2);
  const at = args.indexOf("--batch");
  if (at < 0) return [undefined];
  const list = (args[at + 1] ?? "")
    .split(",")
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 0);
  if (list.length === 0) throw new Error("--batch needs sizes, e.g. --batch 500,1000,2000");
  return list;
}

/** Rows inserted, updated and deleted so far, per table of the database. */
async function rowsWritten(c: postgres.Sql): Promise<Map<string, number>> {
  const rows = await c<{ t: string; n: string }[]>`
    select relname as t, n_tup_ins + n_tup_upd + n_tup_del as n
      from pg_stat_user_tables where relname <> 'bench_raw_insert'`;
  return new Map(rows.map((r) => [r.t, Number(r.n)]));
}

/** Rows written per follower between two readings: the total and the tables that wrote any. */
function rowsPerFollower(before: Map<string, number>, after: Map<string, number>, n: number) {
  const byTable: Record<string, number> = {};
  let total = 0;
  for (const [t, v] of [...after].sort((a, b) => b[1] - a[1])) {
    const d = v - (before.get(t) ?? 0);
    if (d <= 0) continue;
    total += d;
    byTable[t] = Number((d / n).toFixed(2));
  }
  return { total: Number((total / n).toFixed(1)), byTable };
}

/** Followers, accounts and copies written in bulk: set-up is not what is measured. */
async function setup(db: EngineDeps["db"], n: number, kind: BrokerKind, memory: MemoryBroker) {
  const now = new Date();
  await db.execute(sql`insert into instruments (symbol, name, asset_class, currency, tick_size, qty_step, min_qty, min_notional, multiplier, commission_per_unit, trading_hours)
    values ('XYZ', 'XYZ', 'equity', 'USD', '0.01', '1', '1', '1', '1', '0.005', '{"timeZone":"UTC","sessions":[]}')`);
  const paper = new PaperBroker({ db, clock: systemClock, seed: "bench" });
  if (kind === "paper")
    await paper.onQuote({ symbol: "XYZ", bid: "99.99", ask: "100.01", at: now });
  else
    await db.execute(
      sql`insert into quotes (symbol, bid, ask, at) values ('XYZ', '99.99', '100.01', ${now.toISOString()}::timestamptz)`,
    );
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
  if (kind === "paper") await paper.openAccount({ accountId: "L", cash: "1000000" });
  else memory.openAccount("L");
  await db.execute(
    sql`insert into users (email, password_hash, display_name, role) select 'f' || g || '@bench', '!', 'F' || g, 'follower' from generate_series(1, ${n}) g`,
  );
  await db.execute(
    sql`insert into broker_accounts (user_id, broker, external_id) select id, 'paper', 'bf-' || id from users where role = 'follower'`,
  );
  await db.execute(
    sql`insert into account_balances (broker_account_id, currency, cash, updated_at) select id, 'USD', '100000', now() from broker_accounts where external_id like 'bf-%'`,
  );
  // Each follower's deposit on the books, as onboarding writes it (funding.ts): a journal
  // and the cash ledger account it creates. Without it every booking would also create
  // 10 000 ledger accounts, which a funded account never needs at its first trade.
  await db.execute(
    sql`insert into ledger_accounts (code, currency) values ('external:paper:funding', 'USD') on conflict do nothing`,
  );
  // The broker's settlement and commission accounts, which a platform has after its first
  // trade ever: created by a fresh world's first booking instead, the booking parts running
  // side by side wait at that insert for each other's commit (184 ms, measured, session 12).
  await db.execute(
    sql`insert into ledger_accounts (code, currency) values (${brokerSettlement("paper")}, 'USD'), (${brokerCommissions("paper")}, 'USD') on conflict do nothing`,
  );
  await db.execute(
    sql`insert into ledger_accounts (code, currency, owner_user_id) select 'account:' || id || ':cash', 'USD', user_id from broker_accounts where external_id like 'bf-%'`,
  );
  await db.execute(sql`
    with a as (select id, nextval('journals_id_seq'::regclass) as jid from broker_accounts where external_id like 'bf-%'),
         j as (insert into journals (id, kind, description, at) select jid, 'deposit', 'deposit 100000.00 USD', now() from a)
    insert into postings (journal_id, ledger_account_id, amount, currency)
    select a.jid, l.id, 100000::numeric, 'USD' from a join ledger_accounts l on l.code = 'account:' || a.id || ':cash' and l.currency = 'USD'
    union all
    select a.jid, e.id, -100000::numeric, 'USD' from a, ledger_accounts e where e.code = 'external:paper:funding' and e.currency = 'USD'`);
  if (kind === "paper")
    await db.execute(
      sql`insert into paper_accounts (id, currency, cash, created_at) select external_id, 'USD', '100000', now() from broker_accounts where external_id like 'bf-%'`,
    );
  else
    for (const r of await db.execute<{ id: string }>(
      sql`select external_id as id from broker_accounts where external_id like 'bf-%'`,
    ))
      memory.openAccount(r.id);
  // r = 10000 / 1000000 = 0.01: the leader's 1000 becomes 10 for every follower.
  await db.execute(sql`insert into copy_relationships (follower_id, leader_id, broker_account_id, status, sizing_mode, allocation, ratio, reference_capital, agreement_version, consented_at, started_at)
    select a.user_id, ${leaderId}, a.id, 'active', 'proportional', '10000', '0.01', '10000', 'bench', now(), now() from broker_accounts a where a.external_id like 'bf-%'`);
}

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}
