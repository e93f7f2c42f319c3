import { readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import postgres from "postgres";
import { connect } from "../../../db/client";
import { startThrowawayServer } from "../../../db/embedded";
import { applyMigrations } from "../../../db/migrate";
import { freePort } from "../../../test/free-port";
import { forgoDurability, runReplay } from "./run-replay";
import { parseScenario, ScenarioError } from "./scenario";

/**
 * `npm run replay -- <scenario.json> [--out <report.json>]`. Runs on a throwaway database:
 * a fresh embedded PostgreSQL in a temporary directory, or, with DATABASE_URL, a new
 * database on that server, dropped afterwards. Exit 2 for a bad scenario.
 */
async function main(argv: string[]): Promise<number> {
  const args = [...argv];
  let out: string | null = null;
  const outAt = args.indexOf("--out");
  if (outAt >= 0) {
    out = args[outAt + 1] ?? null;
    if (!out) return usage("--out needs a file name");
    args.splice(outAt, 2);
  }
  const file = args[0];
  if (!file || args.length > 1)
    return usage(args.length > 1 ? `unexpected argument ${args[1]}` : "missing scenario file");

  let scenario;
  try {
    const text = readFileSync(file, "utf8");
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new ScenarioError(`${file} is not valid JSON: ${(err as Error).message}`);
    }
    scenario = parseScenario(raw);
  } catch (err) {
    if (err instanceof ScenarioError || (err as NodeJS.ErrnoException).code === "ENOENT") {
      console.error(`Bad scenario ${file}:\n${(err as Error).message}`);
      return 2;
    }
    throw err;
  }

  const db = await throwawayDatabase();
  try {
    const handle = connect(db.url, { max: 4 });
    try {
      let report;
      try {
        report = await runReplay(handle.db, scenario);
      } catch (err) {
        if (!(err instanceof ScenarioError)) throw err;
        console.error(`Bad scenario ${file}:\n${err.message}`);
        return 2;
      }
      const json = JSON.stringify(report, null, 2) + "\n";
      if (out) writeFileSync(out, json);
      else process.stdout.write(json);
    } finally {
      await handle.close();
    }
  } finally {
    await db.dispose();
  }
  return 0;
}

async function throwawayDatabase(): Promise<{ url: string; dispose(): Promise<void> }> {
  if (process.env.DATABASE_URL) {
    const name = `tandem_replay_${process.pid}_${Date.now().toString(36)}`;
    const admin = postgres(process.env.DATABASE_URL, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database "${name}"`);
    const u = new URL(process.env.DATABASE_URL);
    u.pathname = `/${name}`;
    await applyMigrations(u.toString());
    await forgoDurability(u.toString());
    return {
      url: u.toString(),
      dispose: async () => {
        await admin.unsafe(`drop database if exists "${name}" with (force)`);
        await admin.end();
      },
    };
  }
  const server = await startThrowawayServer(
    mkdtempSync(path.join(os.tmpdir(), "tandem-replay-")),
    await freePort(),
  );
  await applyMigrations(server.url);
  await forgoDurability(server.url);
  return { url: server.url, dispose: () => server.stop() };
}

function usage(problem: string): number {
  console.error(`${problem}\nusage: npm run replay -- <scenario.json> [--out <report.json>]`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);
