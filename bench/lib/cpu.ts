import { readdirSync, readFileSync } from "node:fs";
import type postgres from "postgres";

/*
 * CPU time, not wall time: on a shared 2-core machine a benchmark's wall time moves with
 * whatever else runs, while the CPU seconds this process and the database server spend on
 * the work move far less (ADR 0041, session 6). So the fan-out reports both, per step.
 *
 * The database's share is read from /proc: the postmaster's own and reaped children's time
 * (utime, stime, cutime, cstime) plus the live backends' own. Linux only, and only when the
 * server runs on this machine (the embedded one does); elsewhere `dbCpu` answers null.
 */

const TICK_MS = 10; // USER_HZ is 100 on Linux (getconf CLK_TCK)

function statTimes(pid: number): { self: number; children: number; ppid: number } | null {
  try {
    const raw = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name, which is in parentheses and may hold spaces.
    const f = raw.slice(raw.lastIndexOf(")") + 2).split(" ");
    return {
      ppid: Number(f[1]),
      self: Number(f[11]) + Number(f[12]),
      children: Number(f[13]) + Number(f[14]),
    };
  } catch {
    return null;
  }
}

/** A reader of the database server's CPU milliseconds so far, or null when it cannot be read. */
export async function dbCpuReader(c: postgres.Sql): Promise<(() => number) | null> {
  if (process.platform !== "linux") return null;
  let backend: number;
  try {
    backend = Number((await c<{ pid: number }[]>`select pg_backend_pid() as pid`)[0]!.pid);
  } catch {
    return null;
  }
  const b = statTimes(backend);
  if (!b) return null; // the server runs elsewhere
  const postmaster = b.ppid;
  return () => {
    const pm = statTimes(postmaster);
    if (!pm) return 0;
    let ticks = pm.self + pm.children;
    for (const name of readdirSync("/proc")) {
      const pid = Number(name);
      if (!Number.isInteger(pid) || pid === postmaster) continue;
      const t = statTimes(pid);
      if (t && t.ppid === postmaster) ticks += t.self;
    }
    return ticks * TICK_MS;
  };
}

/** This process's CPU milliseconds so far (user + system). */
export function nodeCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
