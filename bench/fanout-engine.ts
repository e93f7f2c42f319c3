import { batchesFromArgs, runFanout } from "./lib/fanout-run";
import { benchServer, sizesFromArgs } from "./lib/server";

/**
 * `npm run bench:fanout-engine [-- 1 100 1000 10000]`: bench:fanout with an in-memory broker
 * that accepts and fills every order at once (bench/lib/memory-broker.ts), so the engine's
 * own cost is seen apart from the paper broker's. One JSON line per size
 * (`bench: "fanout-engine"`).
 */
const server = await benchServer();
try {
  for (const n of sizesFromArgs([1, 100, 1000, 10000]))
    for (const batch of batchesFromArgs())
      console.log(JSON.stringify(await runFanout(server.adminUrl, n, "memory", { batch })));
} finally {
  await server.stop();
}
process.exit(0);
