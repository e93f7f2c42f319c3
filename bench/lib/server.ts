import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { startThrowawayServer } from "../../db/embedded";
import { freePort } from "../../test/free-port";

/**
 * A PostgreSQL for one benchmark run: DATABASE_URL's server when set (each run makes and
 * drops its own database there), otherwise a throwaway embedded server.
 */
export async function benchServer(): Promise<{ adminUrl: string; stop(): Promise<void> }> {
  if (process.env.DATABASE_URL) return { adminUrl: process.env.DATABASE_URL, stop: async () => {} };
  const server = await startThrowawayServer(
    mkdtempSync(path.join(os.tmpdir(), "tandem-bench-")),
    await freePort(),
  );
  return { adminUrl: server.url, stop: () => server.stop() };
}

/** Follower counts from the command line, or the given defaults. */
export function sizesFromArgs(defaults: number[]): number[] {
  const sizes = process.argv
    .slice(2)
    .map(Number)
    .filter((n) => n > 0);
  return sizes.length ? sizes : defaults;
}
