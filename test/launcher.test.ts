import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { urlFor } from "../db/embedded";
import { freePort } from "./free-port";

/**
 * Issue 14, supervision: `kill -9` of the worker under `npm run dev` took the web down (62 of
 * 80 requests refused) and left the launcher hanging with PostgreSQL up. Here the real
 * launcher (scripts/dev.ts: embedded PostgreSQL of its own, migrations, seed, next dev and the
 * worker) runs on its own ports; the worker is killed; the web must answer every request and
 * the worker must be back, beating, within 10 s; SIGTERM must then stop everything.
 */
const repo = path.resolve(import.meta.dirname, "..");
const dataDir = mkdtempSync(path.join(os.tmpdir(), "tandem-launcher-"));
let launcher: ChildProcess | null = null;
const pids = new Set<number>();

afterAll(async () => {
  // If an assertion failed half-way, leave nothing running.
  if (launcher && launcher.exitCode === null) launcher.kill("SIGKILL");
  for (const pid of pids) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      /* gone */
    }
  }
  rmSync(dataDir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, ms: number, f: () => Promise<T | null>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f().catch(() => null);
    if (v !== null) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(200);
  }
}

async function health(port: number): Promise<{ code: number; body: Record<string, unknown> }> {
  const r = await fetch(`http://127.0.0.1:${port}/api/health`, {
    signal: AbortSignal.timeout(5000),
  });
  return { code: r.status, body: (await r.json()) as Record<string, unknown> };
}

describe("launcher supervision", () => {
  it("restarts a killed worker within 10 s while the web keeps serving; SIGTERM stops all", async () => {
    const [webPort, pgPort] = [await freePort(), await freePort()];
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: String(webPort),
      EMBEDDED_PG_PORT: String(pgPort),
      TANDEM_DATA_DIR: dataDir,
      TANDEM_DEMO_TRADING: "off",
      LOG_LEVEL: "warn",
      NODE_ENV: "development",
    };
    // Its own embedded server in both CI runs (with and without DATABASE_URL).
    delete env.DATABASE_URL;
    delete env.NEXTAUTH_URL;
    delete env.VITEST;
    let output = "";
    const started: number[] = [];
    launcher = spawn(process.execPath, ["--import", "tsx", "scripts/dev.ts"], {
      cwd: repo,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const onData = (b: Buffer) => {
      output += b.toString();
      for (const m of b.toString().matchAll(/\[launcher\] (\w+) started \(pid (\d+)\)/g)) {
        pids.add(Number(m[2]));
        if (m[1] === "worker") started.push(Number(m[2]));
      }
    };
    launcher.stdout!.on("data", onData);
    launcher.stderr!.on("data", onData);
    const launcherExit = new Promise<number | null>((r) => launcher!.once("exit", (c) => r(c)));

    const sql = postgres(urlFor(pgPort, "tandem"), { max: 1, onnotice: () => {} });
    try {
      // Seeded, migrated, web compiled, worker beating.
      await until("a healthy instance", 75_000, async () => {
        const h = await health(webPort);
        return h.code === 200 ? h : null;
      });
      const beats = async (pid: number) => {
        const rows =
          await sql`select 1 from worker_heartbeats where owner = ${`${os.hostname()}:${pid}`}`;
        return rows.length > 0 ? true : null;
      };
      // The worker that is beating now; on a loaded machine an early worker may already have
      // been restarted (its exit is in the output), so take whichever one is current.
      let first = 0;
      for (let attempt = 0; attempt < 3 && first === 0; attempt++) {
        const pid = started.at(-1)!;
        await until("a worker's heartbeat", 15_000, () => beats(pid));
        try {
          process.kill(pid, "SIGKILL");
          first = pid;
        } catch (err) {
          console.log(
            `worker ${pid} was gone before the kill (${String(err)}):\n${output.slice(-2000)}`,
          );
          await sleep(1000);
        }
      }
      expect(first).not.toBe(0);
      const killedAt = Date.now();
      let answered = 0;
      let refused = 0;
      let second = 0;
      while (Date.now() - killedAt < 10_000) {
        try {
          const h = await health(webPort);
          if (h.code === 200 || h.code === 503) answered += 1;
          else refused += 1;
        } catch {
          refused += 1;
        }
        const now = started.at(-1)!;
        if (now !== first && (await beats(now).catch(() => null))) {
          second = now;
          break;
        }
        await sleep(200);
      }
      const backAfterMs = Date.now() - killedAt;
      console.log(
        `worker back after ${backAfterMs} ms; web answered ${answered}, refused ${refused}`,
      );
      expect(refused).toBe(0);
      expect(answered).toBeGreaterThan(0);
      expect(second).not.toBe(0);
      expect(backAfterMs).toBeLessThan(10_000);
      expect(output).toMatch(/worker exited \(signal SIGKILL\).*restarting in/);
    } finally {
      await sql.end({ timeout: 1 });
    }

    // SIGTERM stops web, worker and the embedded PostgreSQL, and the launcher exits.
    const stopAt = Date.now();
    launcher.kill("SIGTERM");
    const code = await Promise.race([launcherExit, sleep(30_000).then(() => "hung" as const)]);
    expect(code).toBe(0);
    console.log(`stopped in ${Date.now() - stopAt} ms`);
    for (const pid of pids) expect(alive(pid)).toBe(false);
    await expect(fetch(`http://127.0.0.1:${webPort}/api/health`)).rejects.toThrow();
    const probe = postgres(urlFor(pgPort, "postgres"), { max: 1, connect_timeout: 2 });
    await expect(probe`select 1`).rejects.toThrow();
    await probe.end({ timeout: 1 });
  }, 120_000);
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
