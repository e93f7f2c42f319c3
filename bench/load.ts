import { sql } from "drizzle-orm";
import { PaperBroker } from "../server/brokers/paper";
import { systemClock } from "../server/domain/clock";
import { createRng } from "../server/domain/random";
import { WORKER_CONFIG, silentLog, type EngineDeps } from "../server/engine/deps";
import { ingestLeaderFill } from "../server/engine/ingest/leader-events";
import { pump } from "../server/engine/pump";
import { measureRawInsertRowsPerSec } from "./lib/raw-insert";
import { benchServer } from "./lib/server";
import { benchDatabase, insertBenchWorld } from "./lib/world";

/**
 * `npm run bench:load [-- --seconds N --leaders L --followers F]`: L leaders (100) with F
 * followers each (100), every leader making one fill a second for N seconds (60), while the
 * worker's loop (`pump`, every 250 ms when idle, auto-breakers on as in the worker) runs the
 * paper broker. Prints one JSON line: lag from leader fill to the follower's order at the
 * broker (p50/p99), breakers opened, duplicated and missing orders, and raw INSERT rows/s
 * measured in the same run. `--drain-seconds` (120) bounds the wait after the last fill:
 * when the worker has not caught up by then, `drained` is false, the orders not yet placed
 * count as missing, and `sustainedCopiesPerSec` says how far behind it was.
 */
const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  const n = i >= 0 ? Number(process.argv[i + 1]) : dflt;
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive whole number`);
  return n;
};
const SECONDS = arg("seconds", 60);
const LEADERS = arg("leaders", 100);
const FOLLOWERS = arg("followers", 100);
// How long the worker may take to work off what the fills left once they stop. At full size
// (10 000 copies a second asked for) this machine falls behind (ADR 0041, session 6), so the
// run reports the backlog it left and the rate it sustained instead of running for an hour.
const DRAIN_SECONDS = arg("drain-seconds", 120);

const server = await benchServer();
try {
  console.log(JSON.stringify(await run()));
} finally {
  await server.stop();
}
process.exit(0);

async function run() {
  const h = await benchDatabase(server.adminUrl, "tandem_load");
  try {
    const db = h.db;
    const paper = new PaperBroker({ db, clock: systemClock, seed: "load" });
    const deps: EngineDeps = {
      db,
      broker: () => paper,
      clock: systemClock,
      rng: createRng("load"),
      log: silentLog,
      config: WORKER_CONFIG,
      owner: "load",
    };
    const leaderIds = await insertBenchWorld(db, {
      leaders: LEADERS,
      followersPerLeader: FOLLOWERS,
      paper,
    });
    await db.execute(sql`analyze`);
    const raw = await measureRawInsertRowsPerSec(h.sql);

    // The worker's loop, as server/worker.ts runs it, until told to stop and idle.
    let stop = false;
    const abort = new AbortController();
    const worker = (async () => {
      for (;;) {
        if (abort.signal.aborted) return;
        const work = await pump(deps, { signal: abort.signal });
        if (stop && work === 0) return;
        if (work === 0) await new Promise((r) => setTimeout(r, 250));
      }
    })();
    const t0 = performance.now();
    for (let s = 0; s < SECONDS; s++) {
      const tick = performance.now();
      // Buy then sell back, so positions stay bounded and every fill is an order per follower.
      await Promise.all(
        leaderIds.map((leaderId, i) =>
          ingestLeaderFill(deps, {
            leaderId,
            fillId: `load-${i}-${s}`,
            orderId: `load-o-${i}-${s}`,
            symbol: "XYZ",
            side: s % 2 === 0 ? "buy" : "sell",
            qty: "1000",
            price: "100",
            at: new Date(),
          }),
        ),
      );
      const wait = 1000 - (performance.now() - tick);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    stop = true;
    const fillsMs = performance.now() - t0;
    const drained = await Promise.race([
      worker.then(() => true),
      new Promise<false>((r) => setTimeout(() => r(false), DRAIN_SECONDS * 1000)),
    ]);
    abort.abort();
    await worker;
    const wallMs = performance.now() - t0;

    const lags = (
      await db.execute<{ ms: number }>(sql`
        select extract(epoch from (p.created_at - lf.recorded_at)) * 1000 as ms
          from orders o join leader_fills lf on lf.broker_trade_id = o.leader_fill_id
          join broker_accounts a on a.id = o.broker_account_id
          join paper_orders p on p.account_id = a.external_id and p.client_order_id = o.client_order_id
         where o.origin = 'copy' order by 1`)
    ).map((r) => Number(r.ms));
    const [c] = await db.execute<{
      orders: number;
      filled: number;
      dup: number;
      breakers: number;
      fills: number;
    }>(sql`
      select (select count(*)::int from orders where origin = 'copy') as orders,
             (select count(*)::int from orders where origin = 'copy' and status = 'filled') as filled,
             (select count(*)::int from (select 1 from orders where origin = 'copy'
                group by relationship_id, leader_fill_id having count(*) > 1) d) as dup,
             (select count(*)::int from circuit_breakers) as breakers,
             (select count(*)::int from leader_fills) as fills`);
    const expected = LEADERS * FOLLOWERS * SECONDS;
    const pct = (p: number) =>
      lags.length ? lags[Math.min(lags.length - 1, Math.floor(p * lags.length))]! : 0;
    return {
      bench: "load",
      leaders: LEADERS,
      followersPerLeader: FOLLOWERS,
      seconds: SECONDS,
      leaderFills: c!.fills,
      drained,
      fillsMs: Math.round(fillsMs),
      wallMs: Math.round(wallMs),
      sustainedCopiesPerSec: Math.round(c!.orders / (wallMs / 1000)),
      lagMs: { p50: Math.round(pct(0.5)), p99: Math.round(pct(0.99)), max: Math.round(pct(1)) },
      breakersOpened: c!.breakers,
      duplicates: c!.dup,
      ordersExpected: expected,
      ordersMissing: expected - c!.orders,
      ordersNotFilled: c!.orders - c!.filled,
      rawInsertRowsPerSec: Math.round(raw),
      ratio: Number((c!.orders / (wallMs / 1000) / raw).toFixed(4)),
    };
  } finally {
    await h.drop();
  }
}
