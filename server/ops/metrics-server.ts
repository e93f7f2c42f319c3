import { createServer, type Server } from "node:http";
import type { Db } from "../../db/client";
import { flushSamples, refreshGauges, scrape } from "./metrics";

/** How often a worker writes its minute samples: the page is at most this far behind. */
const FLUSH_EVERY_MS = 10_000;

/**
 * `WORKER_METRICS_PORT`: unset or empty = off (the default); else a TCP port 1–65535 the
 * worker serves `GET /metrics` on for Prometheus. Bad values stop the worker with words.
 */
export function workerMetricsPort(raw = process.env.WORKER_METRICS_PORT): number | null {
  if (raw === undefined || raw.trim() === "") return null;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw new Error(
      `WORKER_METRICS_PORT must be a port number from 1 to 65535 (or unset to serve no metrics); it is ${JSON.stringify(raw)}`,
    );
  return n;
}

/**
 * The worker's side of ADR 0046: its samples go to `metric_samples` every 10 s (call
 * `tick` from the loop), and, when a port is set, its registry is served on 127.0.0.1 and
 * every interface the host allows — scrapes answer from memory plus two counts.
 */
export async function startWorkerMetrics(opts: {
  db: Db;
  owner: string;
  port: number | null;
  log: { warn: (o: object, m: string) => void; info: (o: object, m: string) => void };
}): Promise<{ tick(): Promise<void>; stop(): Promise<void> }> {
  let server: Server | null = null;
  if (opts.port !== null) {
    server = createServer((req, res) => {
      if (req.method !== "GET" || (req.url ?? "").split("?")[0] !== "/metrics") {
        res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
        return;
      }
      scrape(opts.db).then(
        ({ body, contentType }) => res.writeHead(200, { "content-type": contentType }).end(body),
        (err: unknown) => {
          opts.log.warn({ err: String(err) }, "metrics scrape failed");
          // Nothing internal in the answer: the log has the reason.
          res.writeHead(503, { "content-type": "text/plain" }).end("metrics unavailable\n");
        },
      );
    });
    await new Promise<void>((resolve, reject) => {
      server!.once("error", reject);
      server!.listen(opts.port!, () => resolve());
    });
    opts.log.info({ port: opts.port }, "worker metrics on /metrics");
  }
  let last = 0;
  return {
    async tick() {
      if (Date.now() - last < FLUSH_EVERY_MS) return;
      last = Date.now();
      try {
        await refreshGauges(opts.db);
        await flushSamples(opts.db, opts.owner);
      } catch (err) {
        opts.log.warn({ err: String(err) }, "metric samples not written; kept for the next try");
      }
    },
    async stop() {
      await flushSamples(opts.db, opts.owner).catch(() => {});
      if (server) await new Promise<void>((r) => server!.close(() => r()));
    },
  };
}
