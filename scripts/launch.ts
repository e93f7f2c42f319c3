import { spawn, type ChildProcess } from "node:child_process";
import { prepare, printWelcome } from "./prepare";

/**
 * Runs the web app (next dev or next start) and the worker side by side against one
 * database. This process owns the embedded server (when used) and stops it last.
 */
export async function launch(mode: "dev" | "start") {
  const { env, db, secret } = await prepare();
  const childEnv = {
    ...process.env,
    DATABASE_URL: db.url,
    NEXTAUTH_SECRET: secret,
    NEXTAUTH_URL: env.NEXTAUTH_URL ?? `http://localhost:${env.PORT}`,
    NEXT_TELEMETRY_DISABLED: "1",
  };
  const children: ChildProcess[] = [
    spawn(process.execPath, ["node_modules/next/dist/bin/next", mode, "-p", String(env.PORT)], {
      stdio: "inherit",
      env: { ...childEnv, TANDEM_SERVICE: "web" },
    }),
    spawn(process.execPath, ["--import", "tsx", "server/worker.ts"], {
      stdio: "inherit",
      env: { ...childEnv, TANDEM_SERVICE: "worker" },
    }),
  ];
  printWelcome(env.PORT);

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    for (const c of children) if (c.exitCode === null) c.kill("SIGTERM");
    await Promise.all(
      children.map((c) => (c.exitCode === null ? new Promise((r) => c.once("exit", r)) : null)),
    );
    await db.embedded?.stop();
    process.exit(code);
  };
  for (const c of children) c.once("exit", (code) => void stop(code ?? 1));
  process.on("SIGINT", () => void stop(0));
  process.on("SIGTERM", () => void stop(0));
}
