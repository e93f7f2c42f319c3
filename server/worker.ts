import { connect, resolveDatabase } from "../db/client";
import { applyMigrations } from "../db/migrate";
import { loadEnv } from "./env";
import { logger } from "./logger";

/**
 * The worker: where money moves. Replication and reconciliation run here, never in the web
 * process. Shuts down cleanly on SIGTERM: finishes the current step, then closes the pool.
 */
async function main() {
  loadEnv();
  const log = logger.child({ component: "worker" });
  const database = await resolveDatabase();
  await applyMigrations(database.url);
  const handle = connect(database.url, { max: 5 });
  await handle.sql`select 1`;
  log.info({ embedded: Boolean(database.embedded) }, "worker started");

  let running = true;
  let wake: (() => void) | null = null;
  const shutdown = (signal: string) => {
    if (!running) return;
    log.info({ signal }, "worker stopping");
    running = false;
    wake?.();
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));

  while (running) {
    // Replication and reconciliation loops are added by the copy engine.
    await new Promise<void>((r) => {
      wake = r;
      setTimeout(r, 1000);
    });
  }
  await handle.close();
  await database.embedded?.stop();
  log.info("worker stopped");
}

main().catch((err: unknown) => {
  logger.fatal({ err }, "worker crashed");
  process.exit(1);
});
