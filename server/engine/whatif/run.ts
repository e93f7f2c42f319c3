import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { eq, sql } from "drizzle-orm";
import postgres from "postgres";
import { connect, type Db } from "../../../db/client";
import { applyMigrations, MIGRATIONS_DIR } from "../../../db/migrate";
import { copyFees, copyPositions, instruments, quotes, whatIfRuns } from "../../../db/schema";
import { D, fmt, ZERO } from "../../domain/money";
import { copyPnl } from "../../domain/valuation";
import { presentAttribution } from "../../domain/attribution";
import { loadAttribution } from "../ops/attribution";
import { chartSeries } from "../../domain/series";
import { leaderEquity } from "../ingest/leader-book";
import { ExportError, exportLeaderScenario } from "../replay/export";
import { forgoDurability, runReplay, uuidFor } from "../replay/run-replay";
import { ScenarioError, type Scenario } from "../replay/scenario";

/*
 * What-if runs (docs/adr/0066-what-if-runs.md): the worker claims a queued run, exports the
 * leader's recorded stream with the asker as the one follower (server/engine/replay/export.ts),
 * replays it through the real engine (runReplay) on a throwaway database cloned from a
 * migrated template on the same server, and writes progress and the result to whatif_runs.
 */

export type WhatIfSettings = {
  amount: string;
  mode: "proportional" | "multiplier" | "fixed_notional";
  factor?: string | null;
  notional?: string | null;
  onInsufficientFunds: "reduce" | "skip";
  limits: {
    copyStopLossPct: string | null;
    maxSymbolExposure: string | null;
    maxOpenPositions: number | null;
    maxSlippageBps: number | null;
    dailyLossLimit: string | null;
  };
  fees: {
    performanceFeePct: string | null;
    managementFeePctYear: string | null;
    platformFeeBps: string | null;
  };
};

export const WHATIF_LIMITS = {
  /** Leader fills × followers a run may replay (a what-if has one follower). */
  maxFills: Number(process.env.TANDEM_WHATIF_MAX_FILLS ?? 5000),
  /** Wall time a run may take before it is stopped as timed out. */
  maxSeconds: Number(process.env.TANDEM_WHATIF_SECONDS ?? 120),
};

class TimedOut extends Error {}
/** A refusal the asker can act on: its message is shown as it is. */
class RunRefused extends Error {}

/** Claims the oldest queued run, if any (several workers: each run goes to one). */
export async function claimWhatIfRun(db: Db, owner: string) {
  // A run whose worker died stays "running": past twice the time limit it is given up.
  await db.execute(sql`
    update whatif_runs set status = 'timed_out', finished_at = now(),
           error = 'The run took too long and was stopped. Try a shorter period.'
     where status = 'running' and started_at < now() - make_interval(secs => ${WHATIF_LIMITS.maxSeconds * 2})`);
  const rows = await db.execute<{ id: string }>(sql`
    update whatif_runs set status = 'running', claimed_by = ${owner}, started_at = now(), progress = 0
     where id = (select id from whatif_runs where status = 'queued'
                  order by created_at limit 1 for update skip locked)
     returning id`);
  if (!rows[0]) return null;
  const [run] = await db.select().from(whatIfRuns).where(eq(whatIfRuns.id, rows[0].id));
  return run ?? null;
}

/** Runs one claimed run to its end: done, failed (with words) or timed out. */
export async function executeWhatIfRun(
  db: Db,
  serverUrl: string,
  run: typeof whatIfRuns.$inferSelect,
  now: Date = new Date(),
): Promise<void> {
  const started = Date.now();
  const finish = (set: Partial<typeof whatIfRuns.$inferInsert>) =>
    db
      .update(whatIfRuns)
      .set({ ...set, finishedAt: new Date() })
      .where(eq(whatIfRuns.id, run.id));
  try {
    const settings = run.settings as unknown as WhatIfSettings;
    const scenario = await exportLeaderScenario(db, {
      leader: run.leaderId,
      days: run.days,
      now,
      followers: [followerFor(settings)],
    });
    const fillsCount = scenario.events.filter((e) => e.type === "leader_fill").length;
    await db
      .update(whatIfRuns)
      .set({ eventCount: scenario.events.length })
      .where(eq(whatIfRuns.id, run.id));
    if (fillsCount * scenario.followers.length > WHATIF_LIMITS.maxFills)
      throw new RunRefused(
        `This leader made ${fillsCount} trades in ${run.days} days; a what-if replays at most ${WHATIF_LIMITS.maxFills}. Pick a shorter period.`,
      );
    const result = await withThrowawayDb(serverUrl, (tdb) =>
      replayWithProgress(db, tdb, run.id, scenario, started),
    );
    await finish({ status: "done", progress: 100, result });
  } catch (err) {
    if (err instanceof TimedOut)
      await finish({
        status: "timed_out",
        error: `The run took longer than ${WHATIF_LIMITS.maxSeconds} seconds and was stopped. Try a shorter period.`,
      });
    else if (
      err instanceof RunRefused ||
      err instanceof ExportError ||
      err instanceof ScenarioError
    )
      await finish({ status: "failed", error: err.message });
    else {
      // Nothing internal reaches the asker; the worker's log has it.
      await finish({ status: "failed", error: "The run failed. Try again in a minute." });
      throw err;
    }
  }
}

function followerFor(s: WhatIfSettings): Scenario["followers"][number] {
  const risk: NonNullable<Scenario["followers"][number]["copy"]["risk"]> = {};
  if (s.limits.copyStopLossPct) risk.copyStopLossPct = s.limits.copyStopLossPct;
  if (s.limits.maxSymbolExposure) risk.maxSymbolExposure = s.limits.maxSymbolExposure;
  if (s.limits.maxOpenPositions !== null) risk.maxOpenPositions = s.limits.maxOpenPositions;
  if (s.limits.maxSlippageBps !== null) risk.maxSlippageBps = s.limits.maxSlippageBps;
  if (s.limits.dailyLossLimit) risk.dailyLossLimit = s.limits.dailyLossLimit;
  const fees: NonNullable<Scenario["followers"][number]["copy"]["fees"]> = {};
  if (s.fees.performanceFeePct) fees.performanceFeePct = s.fees.performanceFeePct;
  if (s.fees.managementFeePctYear) fees.managementFeePctYear = s.fees.managementFeePctYear;
  if (s.fees.platformFeeBps) fees.platformFeeBps = s.fees.platformFeeBps;
  return {
    id: "you",
    cash: s.amount,
    copy: {
      sizing:
        s.mode === "multiplier"
          ? { mode: "multiplier", factor: s.factor ?? "1" }
          : s.mode === "fixed_notional"
            ? { mode: "fixed_notional", notional: s.notional ?? s.amount }
            : { mode: "proportional", allocation: s.amount },
      risk,
      onInsufficientFunds: s.onInsufficientFunds,
      fees,
    },
  };
}

async function replayWithProgress(
  db: Db,
  tdb: Db,
  runId: string,
  scenario: Scenario,
  started: number,
) {
  const seed = scenario.seed ?? scenario.name;
  const relationshipId = uuidFor(seed, "copy:you");
  const leaderId = uuidFor(seed, `leader:${scenario.leader.id}`);
  const you: Array<{ day: string; equity: string; netFlow: string }> = [];
  const leader: Array<{ day: string; equity: string; netFlow: string }> = [];
  let day: string | null = null;
  let written = 0;
  const capital = D(scenario.followers[0]!.cash);
  const sample = async (d: string) => {
    const entry = { day: d, netFlow: "0" };
    you.push({ ...entry, equity: fmt(capital.plus(await copyNet(tdb, relationshipId))) });
    leader.push({ ...entry, equity: fmt(await leaderEquity(tdb, leaderId, "exit")) });
  };
  const report = await runReplay(tdb, scenario, {
    onEvent: async (done, total, at) => {
      if (Date.now() - started > WHATIF_LIMITS.maxSeconds * 1000) throw new TimedOut();
      const d = at.toISOString().slice(0, 10);
      // One point per UTC day, at the day's last event: what the day's close looked like.
      if (day !== null && d !== day) await sample(day);
      day = d;
      const progress = Math.min(99, Math.floor((done / total) * 100));
      if (progress > written) {
        written = progress;
        await db.update(whatIfRuns).set({ progress }).where(eq(whatIfRuns.id, runId));
      }
    },
  });
  if (day !== null) await sample(day);
  const loaded = await loadAttribution(tdb, relationshipId);
  const f = report.followers.you!;
  const reasons: Record<string, number> = {};
  for (const d of f.decisions) reasons[d.reason] = (reasons[d.reason] ?? 0) + 1;
  return {
    scenario: scenario.name,
    from: scenario.events[0]?.at ?? null,
    status: f.status,
    equity: chartSeries(you),
    leader: chartSeries(leader),
    decisions: f.decisions.slice(-200),
    decisionCount: f.decisions.length,
    reasons,
    fees: f.fees,
    feesTotal: fmt(f.fees.reduce((s, x) => s.plus(x.amount), ZERO)),
    feesAccrued: f.feesAccrued,
    whyDifferent: loaded ? presentAttribution(loaded.attribution, loaded.currency) : null,
  };
}

/** The copy's P&L net of fees, by the one valuation (as the copy page computes it). */
async function copyNet(db: Db, relationshipId: string) {
  const held = await db
    .select()
    .from(copyPositions)
    .where(eq(copyPositions.relationshipId, relationshipId));
  const qs = await db.select().from(quotes);
  const specs = await db.select().from(instruments);
  const fees = await db
    .select({ amount: copyFees.amount })
    .from(copyFees)
    .where(eq(copyFees.relationshipId, relationshipId));
  return copyPnl(
    held,
    new Map(qs.map((q) => [q.symbol, q])),
    new Map(specs.map((i) => [i.symbol, i.multiplier])),
  ).minus(fees.reduce((s, x) => s.plus(x.amount), ZERO));
}

/**
 * A fresh database on the same server for one run, cloned from a migrated template (made
 * once per set of migrations, under an advisory lock), dropped afterwards whatever happens.
 */
async function withThrowawayDb<T>(serverUrl: string, fn: (db: Db) => Promise<T>): Promise<T> {
  const journal = readFileSync(path.join(MIGRATIONS_DIR, "meta/_journal.json"), "utf8");
  const template = `tandem_whatif_tpl_${createHash("sha256").update(journal).digest("hex").slice(0, 10)}`;
  const name = `tandem_whatif_${process.pid}_${Date.now().toString(36)}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  const at = (db: string) => {
    const u = new URL(serverUrl);
    u.pathname = `/${db}`;
    return u.toString();
  };
  try {
    await admin`select pg_advisory_lock(hashtext('tandem-whatif-template'))`;
    try {
      const [exists] = await admin`select 1 from pg_database where datname = ${template}`;
      if (!exists) {
        await admin.unsafe(`create database "${template}"`);
        await applyMigrations(at(template));
      }
      await admin.unsafe(`create database "${name}" template "${template}"`);
    } finally {
      await admin`select pg_advisory_unlock(hashtext('tandem-whatif-template'))`;
    }
    await forgoDurability(at(name)); // a throwaway clone: commits need not wait for the disk
    const handle = connect(at(name), { max: 4 });
    try {
      return await fn(handle.db);
    } finally {
      await handle.close();
    }
  } finally {
    await admin.unsafe(`drop database if exists "${name}" with (force)`).catch(() => {});
    await admin.end();
  }
}

/** The worker's loop: one run at a time per worker, checked every second. */
export function startWhatIfRunner(opts: {
  db: Db;
  serverUrl: string;
  owner: string;
  log: { error(obj: object, msg: string): void };
}): { stop(): Promise<void> } {
  let busy: Promise<void> | null = null;
  let stopped = false;
  const tick = async () => {
    const run = await claimWhatIfRun(opts.db, opts.owner);
    if (run) await executeWhatIfRun(opts.db, opts.serverUrl, run);
  };
  const timer = setInterval(() => {
    if (busy || stopped) return;
    busy = tick()
      .catch((err: unknown) => opts.log.error({ err }, "what-if run failed"))
      .finally(() => {
        busy = null;
      });
  }, 1_000);
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await busy;
    },
  };
}
