import { eq, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { workerHeartbeats } from "../../db/schema";

/** A worker whose last beat is older than this is down (it beats every BEAT_EVERY_MS). */
export const WORKER_STALE_MS = 10_000;
export const BEAT_EVERY_MS = 2_000;

/**
 * The worker's heartbeat: one row per worker process, written from inside the engine loop so
 * that a loop that hangs stops beating just like a process that died (ADR 0016).
 */
export function createHeartbeat(db: Db, owner: string, version: string, now = () => new Date()) {
  const startedAt = now();
  let last = 0;
  return {
    /** Cheap to call every loop turn: writes at most once per BEAT_EVERY_MS. */
    async beat(): Promise<void> {
      const at = now();
      if (at.getTime() - last < BEAT_EVERY_MS) return;
      const first = last === 0;
      last = at.getTime();
      // Rows of workers killed without a goodbye would otherwise pile up.
      if (first)
        await db
          .delete(workerHeartbeats)
          .where(
            sql`${workerHeartbeats.at} < ${new Date(at.getTime() - 86_400_000).toISOString()}::timestamptz`,
          );
      await db
        .insert(workerHeartbeats)
        .values({ owner, version, startedAt, at })
        .onConflictDoUpdate({ target: workerHeartbeats.owner, set: { at, version } });
    },
    /** A worker that stops cleanly says so at once instead of going stale. */
    async remove(): Promise<void> {
      await db.delete(workerHeartbeats).where(eq(workerHeartbeats.owner, owner));
    },
  };
}

export type WorkerLiveness = {
  up: boolean;
  /** Workers that beat within WORKER_STALE_MS. */
  live: number;
  lastBeatAt: Date | null;
  ageMs: number | null;
};

export async function workerLiveness(db: Db, now = new Date()): Promise<WorkerLiveness> {
  const [agg] = await db.execute<{ last: Date | string | null; live: number }>(sql`
    select max(at) as last,
           (count(*) filter (where at > ${new Date(now.getTime() - WORKER_STALE_MS).toISOString()}::timestamptz))::int as live
      from worker_heartbeats`);
  const last = agg?.last ? new Date(agg.last) : null;
  const ageMs = last ? Math.max(0, now.getTime() - last.getTime()) : null;
  return {
    up: ageMs !== null && ageMs <= WORKER_STALE_MS,
    live: Number(agg?.live ?? 0),
    lastBeatAt: last,
    ageMs,
  };
}
