import { eq, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { authThrottle } from "../../db/schema";

/**
 * Sign-in throttling kept in PostgreSQL so that every web process shares it. After
 * MAX_FAILURES failures within WINDOW_MS the key is locked for LOCK_MS.
 */
export const MAX_FAILURES = 5;
const WINDOW_MS = 15 * 60_000;
const LOCK_MS = 15 * 60_000;

export async function lockedUntil(db: Db, key: string, now: Date): Promise<Date | null> {
  const [row] = await db.select().from(authThrottle).where(eq(authThrottle.key, key));
  if (row?.lockedUntil && row.lockedUntil > now) return row.lockedUntil;
  return null;
}

export async function recordFailure(db: Db, key: string, now: Date): Promise<void> {
  // Parameters inside CASE have no column type to infer from, so they go in as cast text.
  const windowStart = sql`${new Date(now.getTime() - WINDOW_MS).toISOString()}::timestamptz`;
  const nowTs = sql`${now.toISOString()}::timestamptz`;
  const lockEnd = sql`${new Date(now.getTime() + LOCK_MS).toISOString()}::timestamptz`;
  await db
    .insert(authThrottle)
    .values({ key, failures: 1, windowStartedAt: now })
    .onConflictDoUpdate({
      target: authThrottle.key,
      set: {
        failures: sql`case when ${authThrottle.windowStartedAt} < ${windowStart} then 1 else ${authThrottle.failures} + 1 end`,
        windowStartedAt: sql`case when ${authThrottle.windowStartedAt} < ${windowStart} then ${nowTs} else ${authThrottle.windowStartedAt} end`,
        lockedUntil: sql`case when ${authThrottle.windowStartedAt} >= ${windowStart} and ${authThrottle.failures} + 1 >= ${MAX_FAILURES} then ${lockEnd} else ${authThrottle.lockedUntil} end`,
      },
    });
}

export async function clearFailures(db: Db, key: string): Promise<void> {
  await db.delete(authThrottle).where(eq(authThrottle.key, key));
}
