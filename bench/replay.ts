import { forgoDurability, runReplay } from "../server/engine/replay/run-replay";
import { benchServer } from "./lib/server";
import { measureRawInsertRowsPerSec } from "./lib/raw-insert";
import { generateScenario } from "./lib/replay-scenario";
import { benchDatabase } from "./lib/world";

/**
 * `npm run bench:replay [-- followers fills]`: a generated scenario (200 followers, 100
 * leader fills by default; three symbols, quotes between fills, a fault of every kind on
 * some followers, a reconcile midway) replayed through the same code as `npm run replay`,
 * on a fresh database. A decision is one (leader fill, follower) pair. One JSON line.
 */
const [followers = 200, fills = 100] = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => n > 0);

const server = await benchServer();
try {
  const h = await benchDatabase(server.adminUrl, "tandem_bench_replay", {
    max: 4,
    // As the replay CLI and what-if runs do: a throwaway database (run-replay.ts says why).
    before: process.env.REPLAY_DURABLE ? undefined : forgoDurability,
  });
  try {
    const scenario = generateScenario(followers, fills);
    const t0 = performance.now();
    const report = await runReplay(h.db, scenario);
    const ms = performance.now() - t0;
    const decisions = Object.values(report.followers).reduce(
      (n, f) => n + f.decisions.filter((d) => d.leaderFillId !== null).length,
      0,
    );
    const raw = await measureRawInsertRowsPerSec(h.sql);
    console.log(
      JSON.stringify({
        bench: "replay",
        followers,
        leaderFills: fills,
        decisions,
        wallMs: Math.round(ms),
        decisionsPerSec: Math.round((decisions / ms) * 1000),
        msPerDecision: Number((ms / decisions).toFixed(3)),
        synchronousCommit: process.env.REPLAY_DURABLE ? "on" : "off",
        rawInsertRowsPerSec: Math.round(raw),
      }),
    );
  } finally {
    await h.drop();
  }
} finally {
  await server.stop();
}
process.exit(0);
