import { batchesFromArgs, runFanout } from "./lib/fanout-run";
import { benchServer, sizesFromArgs } from "./lib/server";

/**
 * `npm run bench:fanout [-- 1 100 1000 10000]`: one leader fill fanned out to N followers
 * through the engine loop the worker runs and the paper broker, until every follower order
 * is filled and booked. One JSON line per size (`bench: "fanout"`), with the raw multi-row
 * INSERT rate measured in the same run and the ratio of the two. `--batch 500,2000` compares
 * broker batch sizes (submission and paper placement), one line per size.
 */
const server = await benchServer();
try {
  for (const n of sizesFromArgs([1, 100, 1000, 10000]))
    for (const batch of batchesFromArgs())
      console.log(JSON.stringify(await runFanout(server.adminUrl, n, "paper", { batch })));
} finally {
  await server.stop();
}
process.exit(0);
