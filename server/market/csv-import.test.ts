import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { and, asc, eq } from "drizzle-orm";
import { createTestDb } from "../../test/db";
import { candles } from "../../db/schema/instruments";
import { upsertCatalogue } from "./catalogue";
import { CsvImportError, importCandlesCsv, parseCandlesCsv } from "./csv-import";

const DAILY = `time,open,high,low,close,volume
2024-01-02,187.15,188.44,183.89,185.64,82488700
2024-01-03T00:00:00Z,184.22,185.88,183.43,184.25,58414500
`;

const MINUTES = `\uFEFFTime,Open,High,Low,Close,Volume\r
1704205800,187.15,187.50,187.00,187.40,120000\r
1704205860,187.40,187.60,187.20,187.30,98000\r
\r
1704205920,187.30,187.35,186.90,187.00,101000\r
`;

function issuesOf(csvText: string, interval: "1m" | "1d" = "1d"): string[] {
  try {
    parseCandlesCsv({ symbol: "AAPL", interval, csvText });
  } catch (err) {
    expect(err).toBeInstanceOf(CsvImportError);
    return (err as CsvImportError).issues.map(
      (i) => `line ${i.line}${i.column ? `, ${i.column}` : ""}: ${i.message}`,
    );
  }
  throw new Error("expected the CSV to be rejected");
}

describe("parseCandlesCsv", () => {
  it("reads ISO dates and date-times", () => {
    const rows = parseCandlesCsv({ symbol: "AAPL", interval: "1d", csvText: DAILY });
    expect(rows).toEqual([
      {
        symbol: "AAPL",
        interval: "1d",
        openTime: new Date("2024-01-02T00:00:00Z"),
        open: "187.15",
        high: "188.44",
        low: "183.89",
        close: "185.64",
        volume: "82488700",
        trades: 0,
      },
      {
        symbol: "AAPL",
        interval: "1d",
        openTime: new Date("2024-01-03T00:00:00Z"),
        open: "184.22",
        high: "185.88",
        low: "183.43",
        close: "184.25",
        volume: "58414500",
        trades: 0,
      },
    ]);
  });

  it("reads epoch seconds, any header case, CRLF, a BOM and blank lines", () => {
    const rows = parseCandlesCsv({ symbol: "AAPL", interval: "1m", csvText: MINUTES });
    expect(rows.map((r) => r.openTime.toISOString())).toEqual([
      "2024-01-02T14:30:00.000Z",
      "2024-01-02T14:31:00.000Z",
      "2024-01-02T14:32:00.000Z",
    ]);
  });

  it("names the line and column of each problem", () => {
    expect(
      issuesOf("time,open,high,low,close\n2024-01-02,1,2,0.5,abc\n2024-01-03,1,0.9,0.5,1\n"),
    ).toEqual([
      'line 2, close: "abc" is not a decimal number such as 123.45',
      "line 3, high: high 0.9 is below max(open 1, close 1)",
    ]);
    expect(issuesOf("time,open,high,low,close\n2024-01-02,1,2,1.5,1.8\n")).toEqual([
      "line 2, low: low 1.5 is above min(open 1, close 1.8)",
    ]);
    expect(issuesOf("time,open,high,low,close\n2024-01-02,0,2,0,1\n")).toEqual([
      "line 2, open: must be greater than 0, got 0",
      "line 2, low: must be greater than 0, got 0",
    ]);
    expect(issuesOf("time,open,high,low,close\n2024-01-02,1,2\n")).toEqual([
      "line 2: expected 5 fields, found 3",
    ]);
  });

  it("checks times: format, zone, alignment, duplicates", () => {
    expect(issuesOf("time,open,high,low,close\n02/01/2024,1,2,1,1\n")[0]).toMatch(
      /^line 2, time: "02\/01\/2024" is neither ISO 8601/,
    );
    expect(issuesOf("time,open,high,low,close\n2024-01-02T10:00:00,1,2,1,1\n")[0]).toMatch(
      /^line 2, time: .* is neither ISO 8601/,
    ); // no zone: ambiguous
    expect(issuesOf("time,open,high,low,close\n1704205800000,1,2,1,1\n", "1m")).toEqual([
      "line 2, time: 1704205800000 looks like epoch milliseconds; use epoch seconds or ISO 8601",
    ]);
    expect(issuesOf("time,open,high,low,close\n2024-01-02T14:30:00Z,1,2,1,1\n")).toEqual([
      "line 2, time: 2024-01-02T14:30:00.000Z is not the start of a UTC day",
    ]);
    expect(issuesOf("time,open,high,low,close\n1704205830,1,2,1,1\n", "1m")).toEqual([
      "line 2, time: 2024-01-02T14:30:30.000Z is not the start of a minute",
    ]);
    expect(
      issuesOf(
        "time,open,high,low,close\n2024-01-02,1,2,1,1\n2024-01-03,1,2,1,1\n2024-01-02T00:00:00+00:00,1,2,1,1\n",
      ),
    ).toEqual(["line 4, time: 2024-01-02T00:00:00.000Z repeats line 2"]);
  });

  it("checks the header and emptiness", () => {
    expect(issuesOf("date,open,high,low,price\n2024-01-02,1,2,1,1\n")).toEqual([
      'line 1: header must contain time,open,high,low,close (volume optional); missing time, close — got "date,open,high,low,price"',
    ]);
    expect(issuesOf("")).toEqual([
      "line 1: the file is empty; expected a header time,open,high,low,close,volume",
    ]);
    expect(issuesOf("time,open,high,low,close\n")).toEqual([
      "line 1: the file has a header but no rows",
    ]);
  });

  it("puts the located problems in the error message", () => {
    expect(() =>
      parseCandlesCsv({
        symbol: "AAPL",
        interval: "1d",
        csvText: "time,open,high,low,close\n2024-01-02,1,x,1,1\n",
      }),
    ).toThrow(
      /nothing was written \(1 problem\):\n {2}line 2, column high: "x" is not a decimal number/,
    );
  });
});

describe("importCandlesCsv", () => {
  let t: Awaited<ReturnType<typeof createTestDb>>;
  beforeAll(async () => {
    t = await createTestDb();
    await upsertCatalogue(t.db);
  });
  afterAll(async () => {
    await t.drop();
  });

  const stored = (symbol: string, interval: "1m" | "1d") =>
    t.db
      .select()
      .from(candles)
      .where(and(eq(candles.symbol, symbol), eq(candles.interval, interval)))
      .orderBy(asc(candles.openTime));

  it("stores daily candles, and replaces them on re-import", async () => {
    expect(
      await importCandlesCsv(t.db, { symbol: "AAPL", interval: "1d", csvText: DAILY }),
    ).toEqual({
      rows: 2,
      from: new Date("2024-01-02T00:00:00Z"),
      to: new Date("2024-01-03T00:00:00Z"),
    });
    await importCandlesCsv(t.db, {
      symbol: "AAPL",
      interval: "1d",
      csvText: DAILY.replace("185.64", "185.70"),
    });
    const rows = await stored("AAPL", "1d");
    expect(rows.map((r) => r.close)).toEqual(["185.70", "184.25"]);
  });

  it("stores minute candles and rolls them up into the day", async () => {
    await importCandlesCsv(t.db, { symbol: "MSFT", interval: "1m", csvText: MINUTES });
    expect(await stored("MSFT", "1m")).toHaveLength(3);
    expect(await stored("MSFT", "1d")).toEqual([
      {
        symbol: "MSFT",
        interval: "1d",
        openTime: new Date("2024-01-02T00:00:00Z"),
        open: "187.15",
        high: "187.60",
        low: "186.90",
        close: "187.00",
        volume: "319000",
        trades: 0,
      },
    ]);
  });

  it("writes nothing when any line is bad", async () => {
    const bad = `time,open,high,low,close,volume\n2024-02-01,1,2,1,1,10\n2024-02-02,1,2,1,1,10\n2024-02-05,1,2,1,1,-3\n`;
    await expect(
      importCandlesCsv(t.db, { symbol: "NVDA", interval: "1d", csvText: bad }),
    ).rejects.toThrow(/line 4, column volume: "-3" is not a decimal number/);
    expect(await stored("NVDA", "1d")).toEqual([]);
  });

  it("refuses an unknown symbol or interval", async () => {
    await expect(
      importCandlesCsv(t.db, { symbol: "BTCUSD", interval: "1d", csvText: DAILY }),
    ).rejects.toThrow(/unknown instrument "BTCUSD"/);
    await expect(
      importCandlesCsv(t.db, { symbol: "AAPL", interval: "5m" as "1m", csvText: DAILY }),
    ).rejects.toThrow(/interval must be "1m" or "1d"/);
  });

  it("has a CLI that imports a file and reports problems", async () => {
    const run = promisify(execFile);
    const dir = mkdtempSync(path.join(os.tmpdir(), "tandem-csv-"));
    try {
      const good = path.join(dir, "tsla.csv");
      const bad = path.join(dir, "bad.csv");
      writeFileSync(good, DAILY);
      writeFileSync(bad, "time,open,high,low,close\n2024-01-02,1,2,1,1\n2024-01-03,1,0.5,1,1\n");
      const env = { ...process.env, DATABASE_URL: t.url };
      const cli = (...args: string[]) =>
        run(path.resolve("node_modules/.bin/tsx"), ["server/market/import-cli.ts", ...args], {
          env,
        });
      const ok = await cli("TSLA", "1d", good);
      expect(ok.stdout).toMatch(
        /^imported 2 1d candles for TSLA from 2024-01-02T00:00:00.000Z to 2024-01-03T00:00:00.000Z/,
      );
      expect(await stored("TSLA", "1d")).toHaveLength(2);
      await expect(cli("JPM", "1d", bad)).rejects.toMatchObject({
        code: 1,
        stderr: expect.stringMatching(/line 3, column high: high 0.5 is below/),
      });
      expect(await stored("JPM", "1d")).toEqual([]);
      await expect(cli("JPM", "1h", bad)).rejects.toMatchObject({
        code: 2,
        stderr: expect.stringMatching(
          /usage: tsx server\/market\/import-cli.ts SYMBOL 1m\|1d file.csv/,
        ),
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
