import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { startThrowawayServer } from "../db/embedded";
import { freePort } from "../test/free-port";

/**
 * Runs a command with DATABASE_URL pointing at a PostgreSQL server started separately, the
 * way a developer's own server would be used, so CI proves both database paths.
 */
const [cmd, ...args] = process.argv.slice(2);
if (!cmd) {
  console.error("usage: tsx scripts/with-external-db.ts <command> [args…]");
  process.exit(2);
}
const server = await startThrowawayServer(
  mkdtempSync(path.join(os.tmpdir(), "tandem-ext-pg-")),
  await freePort(),
);
const result = spawnSync(cmd, args, {
  stdio: "inherit",
  env: { ...process.env, DATABASE_URL: server.url },
});
await server.stop();
process.exit(result.status ?? 1);
