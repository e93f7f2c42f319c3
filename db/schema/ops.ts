import { pgTable, text } from "drizzle-orm/pg-core";
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
