import { getDb } from "@/server/db";
import { logger } from "@/server/logger";
import { scrape } from "@/server/ops/metrics";
import { metricsAllowed } from "@/server/ops/metrics-auth";
import { getViewer } from "@/server/auth/session";

export const dynamic = "force-dynamic";

/** Prometheus text format of the web process's metrics (ADR 0046): bearer token or admin. */
export async function GET(req: Request) {
  const ok = await metricsAllowed(req.headers.get("authorization"), async () => {
    return (await getViewer())?.role ?? null;
  });
  if (!ok)
    return new Response("Send Authorization: Bearer <METRICS_TOKEN>, or sign in as an admin.\n", {
      status: 401,
      headers: { "www-authenticate": "Bearer", "cache-control": "no-store" },
    });
  try {
    const { body, contentType } = await scrape(await getDb());
    return new Response(body, {
      headers: { "content-type": contentType, "cache-control": "no-store" },
    });
  } catch (err) {
    logger.error({ err }, "metrics scrape failed");
    return new Response("Metrics are unavailable: the database does not answer.\n", {
      status: 503,
      headers: { "cache-control": "no-store" },
    });
  }
}
