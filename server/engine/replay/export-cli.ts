import { writeFileSync } from "node:fs";
import { connect, resolveDatabase } from "../../../db/client";
import { ExportError, exportLeaderScenario } from "./export";

/**
 * `npm run replay:export -- <leader handle> <days> [--out <scenario.json>]`: the leader's
 * recorded stream of the last <days> days as a replay scenario (no followers: add yours,
 * then `npm run replay`). Reads the app's database (DATABASE_URL, else the embedded one).
 * Exit 2 for a bad argument or a leader with nothing to export.
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
  const [leader, daysText, extra] = args;
  if (!leader || !daysText || extra !== undefined)
    return usage(extra !== undefined ? `unexpected argument ${extra}` : "missing leader or days");
  if (!/^\d+$/.test(daysText)) return usage(`days must be a whole number, got ${daysText}`);
  const database = await resolveDatabase();
  const handle = connect(database.url, { max: 2 });
  try {
    const scenario = await exportLeaderScenario(handle.db, { leader, days: Number(daysText) });
    const json = JSON.stringify(scenario, null, 2) + "\n";
    if (out) writeFileSync(out, json);
    else process.stdout.write(json);
    return 0;
  } catch (err) {
    if (err instanceof ExportError) {
      console.error(`Cannot export ${leader}: ${err.message}`);
      return 2;
    }
    throw err;
  } finally {
    await handle.close();
    if (database.embedded?.owned) await database.embedded.stop();
  }
}

function usage(problem: string): number {
  console.error(
    `${problem}\nusage: npm run replay:export -- <leader> <days> [--out <scenario.json>]`,
  );
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);
