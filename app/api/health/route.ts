import { sql } from "drizzle-orm";
import { getDb } from "@/server/db";
import { logger } from "@/server/logger";
import { workerLiveness } from "@/server/ops/heartbeat";

export const dynamic = "force-dynamic";

/** An order waiting longer than this to be sent means the worker is not keeping up. */
const ORDER_LAG_MS = 60_000;

/**
 * For load balancers, the launcher and people: the database answers, a worker is alive
 * (its heartbeat is fresh) and orders are being sent. 200 only when all three hold; the
 * body carries counts and ages, nothing that identifies a user or a machine (ADR 0016).
 */
export async function GET() {
  const now = new Date();
  let db;
  try {
    db = await getDb();
    const t0 = Date.now();
    await db.execute(sql`select 1`);
    const dbMs = Date.now() - t0;
    const worker = await workerLiveness(db, now);
    // An order held back on purpose (a retry's backoff) is not late until it falls due.
    const [orders] = await db.execute<{ n: number; oldest: Date | string | null }>(sql`
      select count(*)::int as n,
             min(coalesce(next_attempt_at, created_at))
               filter (where next_attempt_at is null or next_attempt_at <= now()) as oldest
        from orders where status = 'pending_submit'`);
    const oldest = orders?.oldest ? new Date(orders.oldest) : null;
    const oldestAgeMs = oldest ? Math.max(0, now.getTime() - oldest.getTime()) : null;
    const ordersOk = oldestAgeMs === null || oldestAgeMs <= ORDER_LAG_MS;
    const status = !worker.up ? "unhealthy" : ordersOk ? "healthy" : "degraded";
    return Response.json(
      {
        status,
        ok: status === "healthy",
        at: now.toISOString(),
        database: { ok: true, latencyMs: dbMs },
        worker: {
          ok: worker.up,
          live: worker.live,
          lastHeartbeatAt: worker.lastBeatAt?.toISOString() ?? null,
          heartbeatAgeMs: worker.ageMs,
        },
        orders: {
          ok: ordersOk,
          pendingSubmit: Number(orders?.n ?? 0),
          oldestPendingSubmitAt: oldest?.toISOString() ?? null,
          oldestPendingSubmitAgeMs: oldestAgeMs,
        },
      },
      { status: status === "healthy" ? 200 : 503, headers: { "cache-control": "no-store" } },
    );
  } catch (err) {
    logger.error({ err }, "health check failed");
    // Nothing internal (driver messages, SQL) leaves the server.
    return Response.json(
      {
        status: "unhealthy",
        ok: false,
        at: now.toISOString(),
        database: { ok: false, error: "The database does not answer." },
      },
      { status: 503, headers: { "cache-control": "no-store" } },
    );
  }
}
