import { eq } from "drizzle-orm";
import type { Db } from "../../db/client";
import { instruments } from "../../db/schema/instruments";
import { D, DomainError, maxDec, minDec } from "../domain/money";
import {
  rollupDailyCandles,
  upsertCandles,
  type Candle,
  type CandleInterval,
} from "./candle-store";

/** One problem in the file, located so a person can fix it in an editor. */
export type CsvIssue = { line: number; column: string | null; message: string };

/** Thrown for any bad input; nothing has been written when it is thrown. */
export class CsvImportError extends DomainError {
  constructor(readonly issues: CsvIssue[]) {
    const shown = issues
      .slice(0, MAX_REPORTED)
      .map((i) => `  line ${i.line}${i.column ? `, column ${i.column}` : ""}: ${i.message}`);
    const more =
      issues.length > MAX_REPORTED ? `\n  … and ${issues.length - MAX_REPORTED} more` : "";
    super(
      "CSV_INVALID",
      `CSV import rejected, nothing was written (${issues.length} problem${issues.length === 1 ? "" : "s"}):\n${shown.join("\n")}${more}`,
    );
    this.name = "CsvImportError";
  }
}

const MAX_REPORTED = 20;
const REQUIRED = ["time", "open", "high", "low", "close"] as const;
const DECIMAL = /^\d+(\.\d+)?$/;
const EPOCH_SECONDS = /^\d{1,11}$/;
// ISO 8601 date, or date-time with seconds optional, fraction optional, and Z or an offset.
const ISO = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2}))?$/;
const INTERVAL_MS: Record<CandleInterval, number> = { "1m": 60_000, "1d": 86_400_000 };

function splitLine(line: string): string[] {
  // Simple CSV: no embedded commas in numeric data; surrounding quotes are tolerated.
  return line.split(",").map((f) =>
    f
      .trim()
      .replace(/^"(.*)"$/, "$1")
      .trim(),
  );
}

function parseTime(raw: string): Date | string {
  if (EPOCH_SECONDS.test(raw)) return new Date(Number(raw) * 1000);
  if (/^\d{12,}$/.test(raw))
    return `${raw} looks like epoch milliseconds; use epoch seconds or ISO 8601`;
  if (!ISO.test(raw))
    return `${JSON.stringify(raw)} is neither ISO 8601 (2024-01-02T14:30:00Z) nor epoch seconds`;
  // A date-time without a zone would depend on the importing machine's zone: refused by the regex.
  const d = new Date(raw.length === 10 ? `${raw}T00:00:00Z` : raw.replace(" ", "T"));
  return Number.isNaN(d.getTime()) ? `${JSON.stringify(raw)} is not a real date` : d;
}

/**
 * Pure: parses and validates the whole file. Header `time,open,high,low,close,volume` (any
 * order, case-insensitive; volume optional; other columns ignored). Times: ISO 8601 with a
 * zone (a bare date means UTC midnight) or epoch seconds, aligned to the interval (UTC days
 * for "1d"). Every problem is collected, not only the first.
 */
export function parseCandlesCsv(opts: {
  symbol: string;
  interval: CandleInterval;
  csvText: string;
}): Candle[] {
  const issues: CsvIssue[] = [];
  const lines = opts.csvText.replace(/^\uFEFF/, "").split(/\r?\n/);
  const headerIdx = lines.findIndex((l) => l.trim() !== "");
  if (headerIdx < 0)
    throw new CsvImportError([
      {
        line: 1,
        column: null,
        message: "the file is empty; expected a header time,open,high,low,close,volume",
      },
    ]);
  const header = splitLine(lines[headerIdx]!).map((h) => h.toLowerCase());
  const col: Record<string, number> = {};
  header.forEach((h, i) => {
    if (h in col)
      issues.push({
        line: headerIdx + 1,
        column: h,
        message: `column "${h}" appears twice in the header`,
      });
    else col[h] = i;
  });
  const missing = REQUIRED.filter((c) => !(c in col));
  if (missing.length) {
    issues.push({
      line: headerIdx + 1,
      column: null,
      message: `header must contain time,open,high,low,close (volume optional); missing ${missing.join(", ")} — got ${JSON.stringify(lines[headerIdx]!.trim())}`,
    });
    throw new CsvImportError(issues);
  }
  const step = INTERVAL_MS[opts.interval];
  const rows: Candle[] = [];
  const seen = new Map<number, number>();
  for (let i = headerIdx + 1; i < lines.length; i++) {
    const line = i + 1;
    if (lines[i]!.trim() === "") continue;
    const f = splitLine(lines[i]!);
    if (f.length < header.length) {
      issues.push({
        line,
        column: null,
        message: `expected ${header.length} fields, found ${f.length}`,
      });
      continue;
    }
    const before = issues.length;
    const time = parseTime(f[col.time!]!);
    let at: Date | null = null;
    if (typeof time === "string") issues.push({ line, column: "time", message: time });
    else if (time.getTime() % step !== 0) {
      issues.push({
        line,
        column: "time",
        message: `${time.toISOString()} is not the start of a ${opts.interval === "1d" ? "UTC day" : "minute"}`,
      });
    } else {
      at = time;
      const dup = seen.get(time.getTime());
      if (dup !== undefined)
        issues.push({ line, column: "time", message: `${time.toISOString()} repeats line ${dup}` });
      else seen.set(time.getTime(), line);
    }
    const num = (name: string, positive: boolean): string | null => {
      const idx = col[name];
      const raw = idx === undefined ? "0" : f[idx]!;
      if (!DECIMAL.test(raw)) {
        issues.push({
          line,
          column: name,
          message: `${JSON.stringify(raw)} is not a decimal number such as 123.45`,
        });
        return null;
      }
      if (positive && D(raw).lte(0)) {
        issues.push({ line, column: name, message: `must be greater than 0, got ${raw}` });
        return null;
      }
      return raw;
    };
    const open = num("open", true);
    const high = num("high", true);
    const low = num("low", true);
    const close = num("close", true);
    const volume = num("volume", false);
    if (open && high && low && close) {
      if (D(high).lt(maxDec(open, close)))
        issues.push({
          line,
          column: "high",
          message: `high ${high} is below max(open ${open}, close ${close})`,
        });
      if (D(low).gt(minDec(open, close)))
        issues.push({
          line,
          column: "low",
          message: `low ${low} is above min(open ${open}, close ${close})`,
        });
    }
    if (issues.length === before && at && open && high && low && close && volume) {
      rows.push({
        symbol: opts.symbol,
        interval: opts.interval,
        openTime: at,
        open,
        high,
        low,
        close,
        volume,
        trades: 0,
      });
    }
  }
  if (issues.length) throw new CsvImportError(issues);
  if (rows.length === 0)
    throw new CsvImportError([
      { line: headerIdx + 1, column: null, message: "the file has a header but no rows" },
    ]);
  return rows;
}

/**
 * Imports real history for one instrument. All-or-nothing: the file is validated completely
 * before anything is written, and the write is one transaction. Existing candles at the same
 * times are replaced. A 1-minute import also recomputes the daily candles of the days it
 * touches (pass `rollupDaily: false` when daily history is imported separately).
 */
export async function importCandlesCsv(
  db: Db,
  opts: { symbol: string; interval: CandleInterval; csvText: string; rollupDaily?: boolean },
): Promise<{ rows: number; from: Date; to: Date }> {
  if (opts.interval !== "1m" && opts.interval !== "1d") {
    throw new DomainError(
      "INVALID_INTERVAL",
      `interval must be "1m" or "1d", got ${JSON.stringify(opts.interval)}`,
    );
  }
  const [inst] = await db
    .select({ symbol: instruments.symbol })
    .from(instruments)
    .where(eq(instruments.symbol, opts.symbol));
  if (!inst)
    throw new DomainError(
      "UNKNOWN_SYMBOL",
      `unknown instrument ${JSON.stringify(opts.symbol)}; import the catalogue first or use its canonical symbol`,
    );
  const rows = parseCandlesCsv(opts);
  const times = rows.map((r) => r.openTime.getTime());
  const from = new Date(Math.min(...times));
  const to = new Date(Math.max(...times));
  await db.transaction(async (tx) => {
    await upsertCandles(tx, rows);
    if (opts.interval === "1m" && (opts.rollupDaily ?? true))
      await rollupDailyCandles(tx, { from, to, symbols: [opts.symbol] });
  });
  return { rows: rows.length, from, to };
}
