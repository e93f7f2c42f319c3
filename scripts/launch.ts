import { EmbeddedStartError } from "../db/embedded";
import { prepare, printWelcome } from "./prepare";
import { Supervisor } from "./supervise";

/**
 * Runs the web app (next dev or next start) and the worker side by side against one
 * database, each supervised on its own: a crashed worker is restarted with backoff while the
 * web keeps serving, and the other way round (ADR 0015). This process owns the embedded
 * server (when used) and stops it last. Ctrl-C / SIGTERM stops everything, and never hangs:
 * services get a grace period, then are killed; a second Ctrl-C kills at once.
 */
export async function launch(mode: "dev" | "start") {
  let prepared: Awaited<ReturnType<typeof prepare>>;
  try {
    prepared = await prepare();
  } catch (err) {
    // One line that says what to do, not a stack (e.g. the embedded server cannot start).
    const message = err instanceof Error ? err.message : String(err);
    console.error(
      err instanceof EmbeddedStartError ? message : `Tandem could not start: ${message}`,
    );
    process.exit(1);
  }
  const { env, db, secret } = prepared;
  const childEnv = {
    ...process.env,
    DATABASE_URL: db.url,
    NEXTAUTH_SECRET: secret,
    NEXTAUTH_URL: env.NEXTAUTH_URL ?? `http://localhost:${env.PORT}`,
    NEXT_TELEMETRY_DISABLED: "1",
  };
  // TANDEM_BROKER=alpaca-local: every Alpaca account trades at a local Alpaca-compatible
  // gateway (server/brokers/alpaca/gateway/serve.ts, ADR 0022) instead of Alpaca.
  const gatewayPort = Number(process.env.ALPACA_GATEWAY_PORT ?? 54330);
  if (process.env.TANDEM_BROKER === "alpaca-local")
    Object.assign(childEnv, { TANDEM_ALPACA_URL: `http://127.0.0.1:${gatewayPort}` });
  let stopping = false;
  const services = [
    new Supervisor(
      {
        name: "web",
        command: process.execPath,
        args: ["node_modules/next/dist/bin/next", mode, "-p", String(env.PORT)],
        env: { ...childEnv, TANDEM_SERVICE: "web" },
        // A web that cannot start (port taken) would otherwise crash-loop forever.
        maxConsecutiveCrashes: 5,
      },
      { onGiveUp: () => void stop(1) },
    ),
    new Supervisor({
      name: "worker",
      command: process.execPath,
      args: ["--import", "tsx", "server/worker.ts"],
      env: { ...childEnv, TANDEM_SERVICE: "worker" },
    }),
  ];
  if (process.env.TANDEM_BROKER === "alpaca-local")
    services.push(
      new Supervisor({
        name: "alpaca-gateway",
        command: process.execPath,
        args: ["--import", "tsx", "server/brokers/alpaca/gateway/serve.ts"],
        env: { ...childEnv, ALPACA_GATEWAY_PORT: String(gatewayPort) },
      }),
    );
  for (const s of services) s.start();
  printWelcome(env.PORT);

  let forced = false;
  let stopAt = 0;
  async function stop(code: number) {
    if (stopping) return;
    stopping = true;
    stopAt = Date.now();
    console.error("[launcher] stopping web and worker…");
    await Promise.all(services.map((s) => s.stop(forced)));
    if (db.embedded) {
      console.error("[launcher] stopping the embedded PostgreSQL…");
      await db.embedded.stop();
    }
    console.error("[launcher] stopped");
    process.exit(code);
  }
  const onSignal = () => {
    // The same Ctrl-C also arrives relayed by npm and tsx: only a later one means "now".
    if (stopping && Date.now() - stopAt < 1000) return;
    if (stopping) {
      // Second Ctrl-C: whoever is still running gets SIGKILL now.
      forced = true;
      for (const s of services) void s.stop(true);
      return;
    }
    void stop(0);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.on("SIGHUP", onSignal);
}
