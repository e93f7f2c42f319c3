import { spawn, type ChildProcess } from "node:child_process";

/**
 * Keeps one service (web or worker) running: a crash is logged and the process restarted with
 * exponential backoff, and nothing else is touched — a dead worker never takes the web down
 * (issue 14, ADR 0015). Each service runs in its own process group so that stopping it also
 * stops what it spawned (next dev's server process), and so that a terminal's Ctrl-C reaches
 * only the launcher, which then stops things in order.
 */
export type ServiceSpec = {
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** Give up (and call onGiveUp) after this many crashes in a row; default: never. */
  maxConsecutiveCrashes?: number;
};

export type SupervisorOptions = {
  log?: (line: string) => void;
  /** First restart delay; doubles per consecutive crash up to maxDelayMs. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** A run at least this long resets the backoff. */
  stableAfterMs?: number;
  /** How long a stopping service gets between SIGTERM and SIGKILL. */
  stopGraceMs?: number;
  onGiveUp?: (name: string) => void;
};

export class Supervisor {
  private child: ChildProcess | null = null;
  private stopping = false;
  private crashes = 0;
  private restarts = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly log: (line: string) => void;

  constructor(
    private readonly spec: ServiceSpec,
    private readonly opts: SupervisorOptions = {},
  ) {
    this.log = opts.log ?? ((l) => console.error(l));
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    if (this.stopping) return;
    const startedAt = Date.now();
    const child = spawn(this.spec.command, this.spec.args, {
      stdio: "inherit",
      env: this.spec.env,
      detached: true,
    });
    this.child = child;
    this.log(`[launcher] ${this.spec.name} started (pid ${child.pid})`);
    child.once("error", (err) => {
      this.log(`[launcher] ${this.spec.name} could not start: ${err.message}`);
    });
    child.once("exit", (code, signal) => {
      if (this.child === child) this.child = null;
      if (this.stopping) return;
      const ranMs = Date.now() - startedAt;
      this.crashes = ranMs >= (this.opts.stableAfterMs ?? 30_000) ? 1 : this.crashes + 1;
      const max = this.spec.maxConsecutiveCrashes;
      const how = signal ? `signal ${signal}` : `code ${code}`;
      if (max !== undefined && this.crashes >= max) {
        this.log(
          `[launcher] ${this.spec.name} exited (${how}) ${this.crashes} times in a row; giving up`,
        );
        this.opts.onGiveUp?.(this.spec.name);
        return;
      }
      const delay = Math.min(
        this.opts.maxDelayMs ?? 30_000,
        (this.opts.initialDelayMs ?? 500) * 2 ** (this.crashes - 1),
      );
      this.restarts += 1;
      this.log(
        `[launcher] ${this.spec.name} exited (${how}) after ${(ranMs / 1000).toFixed(1)} s; restarting in ${(delay / 1000).toFixed(1)} s (restart ${this.restarts})`,
      );
      this.timer = setTimeout(() => {
        this.timer = null;
        this.start();
      }, delay);
    });
  }

  /** SIGTERM to the service's process group, SIGKILL after the grace period: never hangs. */
  async stop(force = false): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    signalGroup(child, force ? "SIGKILL" : "SIGTERM");
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<"late">(
      (r) => (timer = setTimeout(r, force ? 2000 : (this.opts.stopGraceMs ?? 10_000), "late")),
    );
    const outcome = await Promise.race([exited, graceOver]);
    clearTimeout(timer);
    if (outcome === "late") {
      this.log(`[launcher] ${this.spec.name} did not stop in time; killing it`);
      signalGroup(child, "SIGKILL");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 2000).unref())]);
    }
    // Whatever the service left in its group (next dev's workers) goes with it.
    signalGroup(child, "SIGKILL", true);
  }
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals, quiet = false) {
  if (!child.pid) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      if (!quiet) child.kill(signal);
    } catch {
      /* already gone */
    }
  }
}
