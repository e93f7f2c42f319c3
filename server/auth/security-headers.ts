/**
 * The security headers every response carries (docs/adr/0013). Pure: used by proxy.ts for
 * pages (with a fresh nonce per request) and by next.config.ts for everything else.
 */

/** Headers that do not depend on the request. */
export const STATIC_SECURITY_HEADERS: Record<string, string> = {
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "strict-origin-when-cross-origin",
  // Nothing here needs a device API; saying so stops an injected frame or script asking.
  "Permissions-Policy":
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=(), browsing-topics=()",
  // Old browsers that ignore CSP frame-ancestors still honour this.
  "X-Frame-Options": "DENY",
  "Cross-Origin-Opener-Policy": "same-origin",
};

/** For API responses: nothing in them is meant to run or be framed. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

export const HSTS = "max-age=31536000; includeSubDomains";

/**
 * The page policy. Scripts only with this request's nonce ('strict-dynamic' lets Next's
 * loader add its chunks); styles allow inline because React style attributes (charts,
 * progress bars) are inline styles that a nonce cannot cover, and style injection cannot run
 * code. Dev mode needs 'unsafe-eval' for React's error overlay and fast refresh.
 */
export function pageCsp(nonce: string, opts: { dev: boolean; https: boolean }): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${opts.dev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' blob: data:",
    "font-src 'self'",
    `connect-src 'self'${opts.dev ? " ws: wss:" : ""}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    ...(opts.https ? ["upgrade-insecure-requests"] : []),
  ].join("; ");
}

/** A nonce: 128 random bits, base64. */
export function newNonce(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return btoa(String.fromCharCode(...bytes));
}

/**
 * Served over HTTPS? NEXTAUTH_URL says so, or the request came as https (Next fills
 * X-Forwarded-Proto from the socket; a TLS-terminating proxy sets it). A client that claims
 * https over plain HTTP only earns an HSTS header its browser ignores over HTTP, and Secure
 * cookies its browser refuses to store.
 */
export function servedOverHttps(
  proto: string | null | undefined,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  return (
    (env.NEXTAUTH_URL ?? "").startsWith("https://") ||
    (proto ?? "").split(",")[0]?.trim().toLowerCase() === "https"
  );
}
