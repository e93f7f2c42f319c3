import { sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import {
  BROKER_FAILURES_PER_MINUTE_LIMIT,
  LEADER_FILLS_PER_MINUTE_LIMIT,
} from "../engine/risk/breakers";
import { SAMPLE } from "./metrics";

export type OpsRange = "hour" | "day";

/** One point per bucket; counts are per minute (a day's 15-minute buckets are averaged). */
export type OpsPoint = {
  at: string;
  submitted: number;
  failed: number;
  submitToFillMsAvg: number | null;
  lagMsAvg: number | null;
  lagMsMax: number | null;
  mismatches: number;
  refusals: number;
  breakersOpen: number;
  queueDepth: number;
  /** The busiest leader's fills in its busiest minute of the bucket. */
  leaderFillsMax: number;
};

/** Submission outcomes a broker failure: what `recordBrokerFailure` counts toward its breaker. */
const FAILURES = ["transient", "rate_limited", "unknown_outcome", "error"];

/**
 * The Operations page's series (ADR 0046): `metric_samples` summed over every worker and web
 * process per minute, then per bucket (a minute for the last hour, 15 minutes for the day),
 * and leader fills per leader and minute straight from `leader_fills`. The thresholds that
 * open breakers come from the engine's own constants, so the lines drawn are the real ones.
 */
export async function opsSeries(db: Db, range: OpsRange, now = new Date()) {
  const bucketMin = range === "hour" ? 1 : 15;
  const spanMin = range === "hour" ? 60 : 24 * 60;
  const to = new Date(Math.floor(now.getTime() / 60_000) * 60_000 + 60_000);
  const from = new Date(to.getTime() - spanMin * 60_000);
  const step = `${bucketMin} minutes`;
  const rows = await db.execute<{
    at: Date | string;
    name: string;
    label: string;
    count: number;
    sum: number;
    max: number;
  }>(sql`
    with per_minute as (
      select minute, name, label, sum(count)::float8 as count, sum(sum) as sum, max(max) as max
        from metric_samples
       where minute >= ${from.toISOString()}::timestamptz and minute < ${to.toISOString()}::timestamptz
       group by 1, 2, 3)
    select date_bin(${step}::interval, minute, ${from.toISOString()}::timestamptz) as at, name, label,
           sum(count)::float8 as count, sum(sum)::float8 as sum, max(max)::float8 as max,
           count(*)::int as minutes
      from per_minute group by 1, 2, 3`);
  const fills = await db.execute<{ at: Date | string; n: number }>(sql`
    with per_leader as (
      select date_trunc('minute', recorded_at) as minute, leader_id, count(*)::int as n
        from leader_fills
       where recorded_at >= ${from.toISOString()}::timestamptz and recorded_at < ${to.toISOString()}::timestamptz
       group by 1, 2)
    select date_bin(${step}::interval, minute, ${from.toISOString()}::timestamptz) as at, max(n)::int as n
      from per_leader group by 1`);

  const points = new Map<
    number,
    OpsPoint & { fillSum: number; fillN: number; lagSum: number; lagN: number }
  >();
  for (let t = from.getTime(); t < to.getTime(); t += bucketMin * 60_000)
    points.set(t, {
      at: new Date(t).toISOString(),
      submitted: 0,
      failed: 0,
      submitToFillMsAvg: null,
      lagMsAvg: null,
      lagMsMax: null,
      mismatches: 0,
      refusals: 0,
      breakersOpen: 0,
      queueDepth: 0,
      leaderFillsMax: 0,
      fillSum: 0,
      fillN: 0,
      lagSum: 0,
      lagN: 0,
    });
  const perMinute = (n: number) => Number((n / bucketMin).toFixed(2));
  for (const r of rows) {
    const p = points.get(new Date(r.at).getTime());
    if (!p) continue;
    const c = Number(r.count);
    if (r.name === SAMPLE.submissions) {
      if (FAILURES.includes(r.label)) p.failed += perMinute(c);
      else p.submitted += perMinute(c);
    } else if (r.name === SAMPLE.submitToFill) {
      p.fillSum += Number(r.sum);
      p.fillN += c;
    } else if (r.name === SAMPLE.lag) {
      p.lagSum += Number(r.sum);
      p.lagN += c;
      p.lagMsMax = Math.max(p.lagMsMax ?? 0, Math.round(Number(r.max)));
    } else if (r.name === SAMPLE.mismatches) p.mismatches += perMinute(c);
    else if (r.name === SAMPLE.refusals) p.refusals += perMinute(c);
    // Gauges: each process wrote its own view of the same database fact; the largest counts.
    else if (r.name === SAMPLE.breakersOpen)
      p.breakersOpen = Math.max(p.breakersOpen, Number(r.max));
    else if (r.name === SAMPLE.queueDepth) p.queueDepth = Math.max(p.queueDepth, Number(r.max));
  }
  for (const f of fills) {
    const p = points.get(new Date(f.at).getTime());
    if (p) p.leaderFillsMax = f.n;
  }
  const series: OpsPoint[] = [...points.values()].map(({ fillSum, fillN, lagSum, lagN, ...p }) => ({
    ...p,
    submitted: Number(p.submitted.toFixed(2)),
    failed: Number(p.failed.toFixed(2)),
    submitToFillMsAvg: fillN ? Math.round(fillSum / fillN) : null,
    lagMsAvg: lagN ? Math.round(lagSum / lagN) : null,
  }));
  return {
    range,
    bucketMinutes: bucketMin,
    from: from.toISOString(),
    to: to.toISOString(),
    thresholds: {
      leaderFillsPerMinute: LEADER_FILLS_PER_MINUTE_LIMIT,
      brokerFailuresPerMinute: BROKER_FAILURES_PER_MINUTE_LIMIT,
    },
    series,
  };
}
