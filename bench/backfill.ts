import { backfillHistory } from "../server/market/backfill";
import { upsertCatalogue } from "../server/market/catalogue";
import { measureRawInsertRowsPerSec } from "./lib/raw-insert";
import { benchServer } from "./lib/server";
import { benchDatabase } from "./lib/world";

/**
 * `npm run bench:backfill`: the demo's price history as `npm run dev` writes it on first
 * start — the catalogue's 20 instruments × 400 days of daily candles, then the same with the
 * last 24 h of minute candles. One JSON line each, with the raw INSERT rate of the same run.
 * (These timings were assertions in backfill.test.ts; targets live in benchmarks.)
 */
const END = new Date("2025-03-12T15:47:00Z");
const server = await benchServer();
try {
  for (const minuteHours of [0, 24]) {
    const h = await benchDatabase(server.adminUrl, "bench_backfill");
    try {
      await upsertCatalogue(h.db);
      const started = performance.now();
      const written = await backfillHistory(h.db, { days: 400, end: END, seed: 7, minuteHours });
      const wallMs = Math.round(performance.now() - started);
      console.log(
        JSON.stringify({
          bench: "backfill",
          days: 400,
          minuteHours,
          daily: written.daily,
          minute: written.minute,
          wallMs,
          rawInsertRowsPerSec: await measureRawInsertRowsPerSec(h.sql),
        }),
      );
    } finally {
      await h.drop();
    }
  }
} finally {
  await server.stop();
}
process.exit(0);
