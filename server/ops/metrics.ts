import { sql } from "drizzle-orm";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Db } from "../../db/client";

/*
 * Operator metrics (ADR 0046). Every process (web, each worker) keeps its own prom-client
 * registry, scraped at GET /api/metrics (web) or the worker's WORKER_METRICS_PORT. The same
 * calls also add to per-minute buckets that `flushSamples` writes to `metric_samples`, so
 * the Operations page can sum every worker's minute — Prometheus sees one process per
 * scrape, the page sees the whole fleet. Durations are milliseconds as plain numbers:
 * they are timings, never money.
 */

type Bucket = { count: number; sum: number; max: number; gauge: boolean };

/** What the Operations page charts; names of metric_samples rows. */
export const SAMPLE = {
  submissions: "order_submissions",
  submitToFill: "submit_to_fill_ms",
  lag: "replication_lag_ms",
  mismatches: "reconciliation_mismatches",
  refusals: "risk_refusals",
  breakersOpen: "breakers_open",
  queueDepth: "queue_depth",
} as const;

function create() {
  const registry = new Registry();
  const submissions = new Counter({
    name: "tandem_order_submissions_total",
    help: "Orders sent to a broker, by outcome (filled, accepted, rejected, transient, rate_limited, unknown_outcome).",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });
  const submitToFill = new Histogram({
    name: "tandem_submit_to_fill_seconds",
    help: "From sending an order to the broker to its fill, for orders the broker filled in its answer.",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const lag = new Histogram({
    name: "tandem_replication_lag_seconds",
    help: "From a leader fill to the follower order planned from it, per follower.",
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers: [registry],
  });
  const mismatches = new Counter({
    name: "tandem_reconciliation_mismatches_total",
    help: "Differences reconciliation found between the broker, our books and copy targets.",
    registers: [registry],
  });
  const refusals = new Counter({
    name: "tandem_risk_refusals_total",
    help: "Copy decisions that skipped or reduced an order, by reason code.",
    labelNames: ["reason"] as const,
    registers: [registry],
  });
  const breakers = new Gauge({
    name: "tandem_breakers_open",
    help: "Open circuit breakers, by scope (read from the database at scrape).",
    labelNames: ["scope"] as const,
    registers: [registry],
  });
  const queue = new Gauge({
    name: "tandem_queue_depth",
    help: "Orders waiting to be sent (pending_submit), read from the database at scrape.",
    registers: [registry],
  });
  return { registry, submissions, submitToFill, lag, mismatches, refusals, breakers, queue };
}

type State = ReturnType<typeof create> & { buckets: Map<string, Bucket> };
// One registry per process, kept across Next.js dev reloads (a second registry would
// register the same names twice and the scrape would lose counts).
const g = globalThis as unknown as { __tandemMetrics?: State };
const state: State = (g.__tandemMetrics ??= { ...create(), buckets: new Map() });

const minuteOf = (ms: number) => Math.floor(ms / 60_000) * 60_000;

function add(name: string, label: string, value: number, count = 1, at = Date.now()) {
  const k = `${minuteOf(at)}\u0000${name}\u0000${label}`;
  const b = state.buckets.get(k) ?? { count: 0, sum: 0, max: 0, gauge: false };
  b.count += count;
  b.sum += value;
  b.max = Math.max(b.max, count ? value / count : value);
  state.buckets.set(k, b);
}

function setGauge(name: string, label: string, value: number, at = Date.now()) {
  state.buckets.set(`${minuteOf(at)}\u0000${name}\u0000${label}`, {
    count: 1,
    sum: value,
    max: value,
    gauge: true,
  });
}

/** A decision's reason when it skipped or reduced: what the follower's limits refused. */
type DecisionLike = { reason: string; action?: string | null };

export const metrics = {
  registry: state.registry,

  /** One outcome per order sent (a batch counts each of its orders). */
  orderSubmitted(outcome: string, n = 1) {
    if (n <= 0) return;
    state.submissions.inc({ outcome }, n);
    add(SAMPLE.submissions, outcome, n, n);
  },

  /**
   * The broker's answers to orders sent at `sentAtMs`: each counted by outcome, and the
   * ones it filled in the same answer timed from sending to that fill.
   */
  placed(
    results: ReadonlyArray<
      { ok: true; order: { status: string } } | { ok: false; error: { kind: string } }
    >,
    sentAtMs: number,
  ) {
    const ms = Math.max(0, Date.now() - sentAtMs);
    for (const r of results) {
      if (!r.ok) continue; // failures are counted where they are handled
      metrics.orderSubmitted(r.order.status);
      if (r.order.status === "filled") {
        state.submitToFill.observe(ms / 1000);
        add(SAMPLE.submitToFill, "", ms);
      }
    }
  },

  /** A fan-out batch: lag from the leader fill per follower, and refusals by reason. */
  fannedOut(decisions: readonly DecisionLike[], leaderFillAt: Date, now: Date) {
    if (decisions.length === 0) return;
    const ms = Math.max(0, now.getTime() - leaderFillAt.getTime());
    for (let i = 0; i < decisions.length; i++) state.lag.observe(ms / 1000);
    add(SAMPLE.lag, "", ms * decisions.length, decisions.length);
    for (const d of decisions) if (d.reason !== "OK") metrics.riskRefused(d.reason);
  },

  riskRefused(reason: string, n = 1) {
    state.refusals.inc({ reason }, n);
    add(SAMPLE.refusals, reason, n, n);
  },

  reconciled(mismatches: number) {
    state.mismatches.inc(mismatches);
    add(SAMPLE.mismatches, "", mismatches, mismatches);
  },
};

/**
 * Gauges are facts in the database, not in a process: open breakers and the send queue are
 * read at scrape (web and worker alike), and also kept as this minute's sample.
 */
export async function refreshGauges(db: Db): Promise<void> {
  const open = await db.execute<{ scope: string; n: number }>(
    sql`select scope, count(*)::int as n from circuit_breakers where closed_at is null group by scope`,
  );
  state.breakers.reset();
  let total = 0;
  for (const r of open) {
    state.breakers.set({ scope: r.scope }, r.n);
    total += r.n;
  }
  setGauge(SAMPLE.breakersOpen, "", total);
  const [q] = await db.execute<{ n: number }>(
    sql`select count(*)::int as n from orders where status = 'pending_submit'`,
  );
  state.queue.set(q?.n ?? 0);
  setGauge(SAMPLE.queueDepth, "", q?.n ?? 0);
}

/** The Prometheus text exposition of this process's registry, gauges fresh from `db`. */
export async function scrape(db: Db): Promise<{ body: string; contentType: string }> {
  await refreshGauges(db);
  return { body: await state.registry.metrics(), contentType: state.registry.contentType };
}

/** Samples older than this are deleted by the writers: the page shows a day at most. */
const KEEP_MS = 2 * 24 * 3600_000;

/**
 * Writes the minutes counted so far into `metric_samples` under `owner`, adding to what
 * this owner already wrote for the same minute (gauges: replaced), in one statement; then
 * forgets them. A failed write keeps them for the next flush.
 */
export async function flushSamples(db: Db, owner: string): Promise<number> {
  if (state.buckets.size === 0) return 0;
  const taken = [...state.buckets];
  state.buckets.clear();
  const rows = taken.map(([k, b]) => {
    const [minute, name, label] = k.split("\u0000");
    return {
      minute: new Date(Number(minute)).toISOString(),
      name: name!,
      label: label!,
      count: b.count,
      sum: b.sum,
      max: b.max,
      gauge: b.gauge,
    };
  });
  try {
    await db.execute(sql`
      insert into metric_samples (minute, owner, name, label, count, sum, max)
      select v.minute, ${owner}, v.name, v.label, v.count, v.sum, v.max
        from json_to_recordset(${JSON.stringify(rows)}::json)
          as v(minute timestamptz, name text, label text, count bigint, sum float8, max float8, gauge boolean)
      on conflict (minute, owner, name, label) do update set
        count = case when excluded.name in (${SAMPLE.breakersOpen}, ${SAMPLE.queueDepth}) then excluded.count else metric_samples.count + excluded.count end,
        sum = case when excluded.name in (${SAMPLE.breakersOpen}, ${SAMPLE.queueDepth}) then excluded.sum else metric_samples.sum + excluded.sum end,
        max = greatest(metric_samples.max, excluded.max)`);
    await db.execute(
      sql`delete from metric_samples where minute < ${new Date(Date.now() - KEEP_MS).toISOString()}::timestamptz`,
    );
  } catch (err) {
    for (const [k, b] of taken) if (!state.buckets.has(k)) state.buckets.set(k, b);
    throw err;
  }
  return rows.length;
}
