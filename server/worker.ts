import { hostname } from "node:os";
import { connect, resolveDatabase } from "../db/client";
import { applyMigrations } from "../db/migrate";
import { PaperBroker } from "./brokers/paper";
import { createAlpacaBroker } from "./brokers/alpaca/accounts";
import { syncAlpacaAccounts } from "./brokers/alpaca/account-sync";
import { startExternalLeaders } from "./engine/ingest/external-leaders";
import { systemClock } from "./domain/clock";
import { createRng } from "./domain/random";
import { demoLeaderTrade } from "./demo/leader-bot";
import { checkCopyStopLoss } from "./engine/copies/stops";
import { WORKER_CONFIG, type EngineDeps } from "./engine/deps";
import { pump } from "./engine/pump";
import { reconcile } from "./engine/reconcile/reconcile";
import { moveFeeCash } from "./engine/fees/cash";
import { feesAtMidnight } from "./engine/fees/settle";
import { markDayStart } from "./engine/risk/day-marks";
import { closeQuietFillRateBreakers, createQuoteWatch } from "./engine/risk/auto-breakers";
import { detectStrategyChanges } from "./engine/risk/strategy-change";
import { verifyLeaders } from "./engine/risk/verify-leaders";
import { snapshotEquity } from "./engine/ops/snapshots";
import { startWhatIfRunner } from "./engine/whatif/run";
import { applyPaperTransfers } from "./engine/execute/transfers";
import { ensureLeaderStats } from "./engine/ops/leader-stats";
import { loadEnv } from "./env";
import { logger } from "./logger";
import { createHeartbeat } from "./ops/heartbeat";
import { startWorkerMetrics, workerMetricsPort } from "./ops/metrics-server";
import { startNotifier } from "./notify/loop";
import { CATALOGUE, upsertCatalogue } from "./market/catalogue";
import { createCandleRecorder } from "./market/candles";
import { latestPrices } from "./market/prices";
import { SimulatedFeed, startFeed } from "./market/simulated-feed";

/**
 * The worker: where money moves. Runs the market feed into the paper broker, the engine's
 * loop (replicate leader streams, submit orders, read broker events), reconciliation at
 * start and every minute, and — in the demo world — leaders' occasional trades.
 * Any number of workers may run: per-leader leases keep each leader's stream to one.
 * SIGTERM: finish the current step, stop the feed, close the pool.
 */
async function main() {
  const env = loadEnv();
  const log = logger.child({ component: "worker" });
  const database = await resolveDatabase();
  await applyMigrations(database.url);
  const handle = connect(database.url, { max: 8 });
  const owner = `${hostname()}:${process.pid}`;
  // Beats from the start: a worker busy reconciling at start is alive, not down.
  const heartbeat = createHeartbeat(handle.db, owner, process.env.npm_package_version ?? "dev");
  await heartbeat.beat();
  const paper = new PaperBroker({ db: handle.db, clock: systemClock, seed: `paper:${owner}` });
  // Every connected Alpaca account (paper or live, each with its own key: ADR 0022).
  const alpaca = createAlpacaBroker(handle.db, (msg, extra) => log.info(extra ?? {}, msg));
  const deps: EngineDeps = {
    db: handle.db,
    broker: (name) => {
      if (name === "paper") return paper;
      if (name === "alpaca") return alpaca;
      throw new Error(`no adapter for broker ${name}`);
    },
    clock: systemClock,
    rng: createRng(`worker:${owner}:${Date.now()}`),
    log,
    config: WORKER_CONFIG,
    owner,
  };

  await upsertCatalogue(handle.db);
  await applyPaperTransfers(deps, paper);
  // Fees charged while no worker ran (the demo seed charges some) move at the paper broker
  // before the first comparison, as after every pump; else startup reports their cash as a gap.
  await moveFeeCash(deps);
  await syncAlpacaAccounts(handle.db, alpaca).catch((err) => log.warn({ err }, "alpaca sync"));
  const startup = await reconcile(deps, "startup");
  await snapshotEquity(deps);
  log.info(
    { owner, embedded: Boolean(database.embedded), reconciliation: startup },
    "worker started",
  );

  // Operator metrics: samples for the Operations page; /metrics when WORKER_METRICS_PORT is set.
  const opsMetrics = await startWorkerMetrics({
    db: handle.db,
    owner,
    port: workerMetricsPort(),
    log,
  });
  const recorder = createCandleRecorder(handle.db);
  // Abnormal quote jumps open the instrument's breaker (ADR 0036).
  const quoteWatch = createQuoteWatch(deps);
  const feed = new SimulatedFeed({
    instruments: CATALOGUE,
    seed: `feed:${Date.now()}`,
    clock: systemClock,
    startPrices: await latestPrices(handle.db),
  });
  const runner = startFeed({
    db: handle.db,
    feed,
    intervalMs: 1000,
    sinks: [
      recorder.sink,
      (q) => paper.onQuote(q),
      (q) => checkCopyStopLoss(deps, q.symbol).then(() => {}),
      (q) => quoteWatch.onQuote(q),
    ],
  });

  // Notifications read what the engine recorded, on their own timer (ADR 0017).
  const notifier = startNotifier({
    db: handle.db,
    log: log.child({ component: "notify" }),
    smtpUrl: env.SMTP_URL,
    from: env.MAIL_FROM,
    appUrl: env.NEXTAUTH_URL ?? `http://localhost:${env.PORT}`,
  });

  // Leaders who trade in Alpaca's own app: their fills into their streams (ADR 0023).
  const externalLeaders = startExternalLeaders(deps, alpaca);

  // What-if runs requested from leader profiles, each on a throwaway database (ADR 0066).
  const whatIfs = startWhatIfRunner({ db: handle.db, serverUrl: database.url, owner, log });

  let running = true;
  let wake: (() => void) | null = null;
  const shutdown = (signal: string) => {
    if (!running) return;
    log.info({ signal }, "worker stopping");
    running = false;
    wake?.();
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));

  const botRng = createRng(`bot:${Date.now()}`);
  const demoTrading = process.env.TANDEM_DEMO_TRADING !== "off";
  let lastReconcile = Date.now();
  let markedDay = "";
  let lastBot = Date.now();
  while (running) {
    try {
      // The daily loss limit's reference: each copy's P&L as the UTC day turns.
      const today = new Date().toISOString().slice(0, 10);
      if (today !== markedDay) {
        const midnight = new Date(`${today}T00:00:00.000Z`);
        // Fees first (the day that ended accrues; a period that ended is settled), then the
        // daily-loss marks, as replays do. Only once per day turn that this worker sees.
        if (markedDay !== "") await feesAtMidnight(deps, midnight);
        await markDayStart(deps, midnight);
        markedDay = today;
      }
      await heartbeat.beat();
      await opsMetrics.tick();
      await applyPaperTransfers(deps, paper);
      await pump(deps);
      // Fees charged on our books move at the paper broker too (reconciliation sees no gap).
      await moveFeeCash(deps);
      await externalLeaders.tick();
      if (Date.now() - lastReconcile > 60_000) {
        lastReconcile = Date.now();
        await syncAlpacaAccounts(handle.db, alpaca);
        await reconcile(deps, "periodic");
        // Today's equity rows and the leader statistics built from them stay current.
        await snapshotEquity(deps);
        await ensureLeaderStats(handle.db);
        // Manipulation checks (ADR 0035, 0036): strategy changes, verified histories, and
        // the automatic breakers' closes.
        await detectStrategyChanges(deps);
        await verifyLeaders(deps);
        await quoteWatch.closeCooledDown();
        await closeQuietFillRateBreakers(deps);
      }
      if (demoTrading && Date.now() - lastBot > 20_000) {
        lastBot = Date.now();
        const id = await demoLeaderTrade(deps, botRng);
        if (id) log.info({ clientOrderId: id }, "demo leader traded");
      }
    } catch (err) {
      log.error({ err }, "engine step failed; retrying");
    }
    await new Promise<void>((r) => {
      wake = r;
      setTimeout(r, 250);
    });
  }
  await runner.stop();
  await opsMetrics.stop();
  await externalLeaders.stop();
  await whatIfs.stop();
  await alpaca.close();
  await notifier.stop();
  await heartbeat.remove().catch(() => {});
  await recorder.flush();
  await handle.close();
  await database.embedded?.stop();
  log.info("worker stopped");
  void env;
}

main().catch((err: unknown) => {
  logger.fatal({ err }, "worker crashed");
  process.exit(1);
});
