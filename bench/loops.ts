import { sql } from "drizzle-orm";
import { PaperBroker } from "../server/brokers/paper";
import { systemClock } from "../server/domain/clock";
import { createRng } from "../server/domain/random";
import { checkCopyStopLoss } from "../server/engine/copies/stops";
import { WORKER_CONFIG, silentLog, type EngineDeps } from "../server/engine/deps";
import { ingestLeaderFill } from "../server/engine/ingest/leader-events";
import { ensureLeaderStats } from "../server/engine/ops/leader-stats";
import { snapshotEquity } from "../server/engine/ops/snapshots";
import { pump } from "../server/engine/pump";
import { reconcile } from "../server/engine/reconcile/reconcile";
import { measureRawInsertRowsPerSec } from "./lib/raw-insert";
import { benchServer, sizesFromArgs } from "./lib/server";
import { benchDatabase, cents, insertBenchWorld } from "./lib/world";

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
// Leader statistics are per leader, not per copy: this many leaders, each with a year of
// daily snapshots and a history of fills, all stale (as after the day's snapshots).
const STATS_LEADERS = 1000;
const STATS_DAYS = 365;
const STATS_FILLS = 100;

const server = await benchServer();
try {
  // `-- --leader-stats` runs that loop alone.
  if (!process.argv.includes("--leader-stats"))
    for (const n of ns) for (const line of await runOnce(n)) console.log(JSON.stringify(line));
  console.log(JSON.stringify(await runLeaderStats()));
} finally {
  await server.stop();
}
process.exit(0);

async function runOnce(n: number) {
  const h = await benchDatabase(server.adminUrl, `tandem_loops_${n}`);
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
    const [leaderId] = await insertBenchWorld(db, { leaders: 1, followersPerLeader: n, paper });
    await ingestLeaderFill(deps, {
      leaderId: leaderId!,
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
    let bid = 10_000; // cents
    for (let i = 0; i < QUOTES; i++) {
      bid += i % 2 ? 1 : -1;
      await db.execute(
        sql`update quotes set bid = ${cents(bid)}, ask = ${cents(bid + 2)} where symbol = 'XYZ'`,
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
    await h.drop();
  }
}

/**
 * `leaderstats`: the worker's refresh of every stale leader's statistics after the day's
 * snapshots (ensureLeaderStats), for STATS_LEADERS leaders with STATS_DAYS daily snapshots
 * and STATS_FILLS fills each (round trips of 10 XYZ), none computed yet.
 */
async function runLeaderStats() {
  const h = await benchDatabase(server.adminUrl, "tandem_loops_stats");
  try {
    const db = h.db;
    await insertBenchWorld(db, { leaders: STATS_LEADERS, followersPerLeader: 0 });
    await db.execute(sql`
      with l as (select id, row_number() over (order by id) as k from leaders)
      insert into equity_snapshots (owner_type, owner_id, day, equity, net_flow)
      select 'leader', l.id::text, current_date - d,
             round((1000000 + 20000 * sin(d * 0.3 + l.k) + 50 * d)::numeric, 2),
             case when (d + l.k) % 30 = 7 then 10000 * ((l.k % 3) - 1) else 0 end
        from l cross join generate_series(0, ${STATS_DAYS - 1}) d`);
    await db.execute(sql`
      insert into leader_fills (leader_id, broker_trade_id, broker_order_id, symbol, side, qty, price,
        position_after, event_seq, filled_at, recorded_at)
      select l.id, 't' || k, 'o' || k, 'XYZ', case when k % 2 = 1 then 'buy' else 'sell' end, 10,
             100 + (k % 7), case when k % 2 = 1 then 10 else 0 end, k,
             now() - make_interval(hours => ${STATS_FILLS} - k), now()
        from leaders l cross join generate_series(1, ${STATS_FILLS}) k`);
    await db.execute(sql`analyze`);
    const raw = await measureRawInsertRowsPerSec(h.sql);
    const t0 = performance.now();
    const refreshed = await ensureLeaderStats(db);
    const ms = performance.now() - t0;
    const leadersPerSec = (refreshed / ms) * 1000;
    // What discovery pays on every request once the rows are current: the staleness check.
    const t1 = performance.now();
    const again = await ensureLeaderStats(db);
    const checkMs = performance.now() - t1;
    if (again !== 0) throw new Error(`${again} leaders still stale after the refresh`);
    // What was computed, leader by leader (their data is chosen by rank k), without the
    // day and the time of computing: a faster refresh must store the same numbers.
    const [row] = await h.sql<{ digest: string }[]>`
      with l as (select id, row_number() over (order by id) as k from leaders)
      select left(md5(string_agg(concat_ws('|', l.k, s.snapshot_count, s.return_1m, s.return_3m,
               s.return_1y, s.return_all, s.max_drawdown, s.volatility, s.sharpe, s.risk_score,
               s.win_rate, s.trades_per_week, s.average_holding_hours, s.closed_trades,
               s.symbols::text, s.asset_classes::text, s.instrument_focus::text), ';' order by l.k)), 16)
             as digest
        from l join leader_stats s on s.leader_id = l.id`;
    const digest = row!.digest;
    return {
      bench: "leaderstats",
      leaders: refreshed,
      snapshotsPerLeader: STATS_DAYS,
      fillsPerLeader: STATS_FILLS,
      wallMs: Math.round(ms),
      leadersPerSec: Math.round(leadersPerSec),
      currentCheckMs: Number(checkMs.toFixed(1)),
      rawInsertRowsPerSec: Math.round(raw),
      ratio: Number((leadersPerSec / raw).toFixed(5)),
      digest,
    };
  } finally {
    await h.drop();
  }
}
