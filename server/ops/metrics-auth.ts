import { createHash, timingSafeEqual } from "node:crypto";

/**
 * Who may read /api/metrics (ADR 0046): a scraper with `Authorization: Bearer <METRICS_TOKEN>`
 * (compared in constant time), or a signed-in admin. With METRICS_TOKEN unset, only admins.
 * Counts by outcome and reason say how the platform is doing, so they are not public.
 */
export async function metricsAllowed(
  authorization: string | null,
  viewerRole: () => Promise<string | null>,
  token = process.env.METRICS_TOKEN,
): Promise<boolean> {
  const m = /^Bearer\s+(.+)$/i.exec(authorization ?? "");
  if (token && token.length >= 16 && m) {
    // Hashes first: equal lengths for timingSafeEqual whatever was sent.
    const a = createHash("sha256").update(m[1]!.trim()).digest();
    const b = createHash("sha256").update(token).digest();
    if (timingSafeEqual(a, b)) return true;
  }
  try {
    return (await viewerRole()) === "admin";
  } catch {
    return false; // no session outside a page request (e.g. a scraper without cookies)
  }
}
