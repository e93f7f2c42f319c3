import { bigint, doublePrecision, index, pgTable, primaryKey, text } from "drizzle-orm/pg-core";
import { ts } from "./columns";

/**
 * One row per running worker process, touched every loop turn. Health checks and the
 * profile's "copy engine" badge read the newest `at`: a worker that stopped writing is down,
 * whatever its process table says (ADR 0016).
 */
export const workerHeartbeats = pgTable("worker_heartbeats", {
  owner: text("owner").primaryKey(),
  version: text("version").notNull(),
  startedAt: ts("started_at").notNull(),
  at: ts("at").notNull(),
});

/**
 * Operator metrics, one row per (minute, worker or web process, metric, label): each process
 * adds what it counted during that minute (counters: `count`; timings: `count`, `sum` and
 * `max` in ms; gauges: the last `sum` seen, `count` = 1). The Operations page sums over
 * owners, so several workers add up; Prometheus scrapes each process for its own view
 * (ADR 0046). Old rows are pruned by the writer after two days. Durations in ms, never
 * money: a double is exact enough for them and cheap to add up.
 */
export const metricSamples = pgTable(
  "metric_samples",
  {
    minute: ts("minute").notNull(),
    owner: text("owner").notNull(),
    name: text("name").notNull(),
    label: text("label").notNull().default(""),
    count: bigint("count", { mode: "number" }).notNull().default(0),
    sum: doublePrecision("sum").notNull().default(0),
    max: doublePrecision("max").notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.minute, t.owner, t.name, t.label] }),
    index("metric_samples_name_minute_idx").on(t.name, t.minute),
  ],
);
