import { and, eq, gte, inArray, lt, sql, type SQL } from "drizzle-orm";
import type { Db } from "../../db/client";
import type { Executor } from "./executor";
import { candles } from "../../db/schema/instruments";
import { D, fmt } from "../domain/money";
import type { Quote, QuoteSink } from "./quotes";

export { latestPrices, type LatestPrice } from "./prices";

export type CandleInterval = "1m" | "1d";
export type Candle = typeof candles.$inferSelect;

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

export const minuteStart = (at: Date): Date =>
  new Date(Math.floor(at.getTime() / MINUTE_MS) * MINUTE_MS);
/** Daily candles are UTC days: one rule for every asset class (a US equity session always fits in one). */
export const utcDayStart = (at: Date): Date => new Date(Math.floor(at.getTime() / DAY_MS) * DAY_MS);

const mid = (q: Quote): string => fmt(D(q.bid).plus(q.ask).div(2));

/** Builds one minute's candle from quotes in time order. */
class MinuteBuilder {
  readonly openTime: Date;
  private open: string;
  private high: string;
  private low: string;
  private close: string;
  private trades = 0;
  private lastAt: number;

  constructor(
    readonly symbol: string,
    q: Quote,
  ) {
    this.openTime = minuteStart(q.at);
    const m = mid(q);
    this.open = this.high = this.low = this.close = m;
    this.lastAt = q.at.getTime();
    this.trades = 1;
  }

  add(q: Quote): void {
    const m = mid(q);
    if (D(m).gt(this.high)) this.high = m;
    if (D(m).lt(this.low)) this.low = m;
    // Out-of-order quotes widen the range but cannot replace the close with an older price.
    if (q.at.getTime() >= this.lastAt) {
      this.close = m;
      this.lastAt = q.at.getTime();
    }
    this.trades++;
  }

  candle(): Candle {
    return {
      symbol: this.symbol,
      interval: "1m",
      openTime: this.openTime,
      open: this.open,
      high: this.high,
      low: this.low,
      close: this.close,
      volume: "0", // quotes carry no volume
      trades: this.trades, // number of quote updates, as in a "tick volume" bar
    };
  }
}

/**
 * Pure: 1-minute candles of the mid price, one per (symbol, minute) that has quotes, ordered
 * by symbol then time. Input order does not matter (quotes are sorted by time first), so
 * aggregating the same quotes always gives the same candles.
 */
export function aggregateMinuteCandles(qs: readonly Quote[]): Candle[] {
  const sorted = [...qs].sort((a, b) =>
    a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : a.at.getTime() - b.at.getTime(),
  );
  const out: Candle[] = [];
  let cur: MinuteBuilder | null = null;
  for (const q of sorted) {
    if (cur && cur.symbol === q.symbol && cur.openTime.getTime() === minuteStart(q.at).getTime())
      cur.add(q);
    else {
      if (cur) out.push(cur.candle());
      cur = new MinuteBuilder(q.symbol, q);
    }
  }
  if (cur) out.push(cur.candle());
  return out;
}

const CHUNK = 4000; // 9 columns × 4000 rows stays well under Postgres' 65535 parameters

/** Upserts candles in multi-row statements; a row for the same key is replaced, so repeating is harmless. */
export async function upsertCandles(db: Executor, rows: readonly Candle[]): Promise<number> {
  for (let i = 0; i < rows.length; i += CHUNK) {
    await db
      .insert(candles)
      .values(rows.slice(i, i + CHUNK))
      .onConflictDoUpdate({
        target: [candles.symbol, candles.interval, candles.openTime],
        set: {
          open: sql`excluded.open`,
          high: sql`excluded.high`,
          low: sql`excluded.low`,
          close: sql`excluded.close`,
          volume: sql`excluded.volume`,
          trades: sql`excluded.trades`,
        },
      });
  }
  return rows.length;
}

/**
 * Recomputes the daily candles of every UTC day touching [from, to] from that day's 1-minute
 * candles, entirely in SQL. Always whole days from all their minutes, so it is idempotent and
 * a day's candle converges as its minutes arrive.
 */
export async function rollupDailyCandles(
  db: Executor,
  opts: { from: Date; to: Date; symbols?: readonly string[] },
): Promise<number> {
  const from = utcDayStart(opts.from);
  const until = new Date(utcDayStart(opts.to).getTime() + DAY_MS);
  const conds: SQL[] = [
    eq(candles.interval, "1m"),
    gte(candles.openTime, from),
    lt(candles.openTime, until),
  ];
  if (opts.symbols) {
    if (opts.symbols.length === 0) return 0;
    conds.push(inArray(candles.symbol, [...opts.symbols]));
  }
  const day = sql`date_trunc('day', ${candles.openTime}, 'UTC')`;
  const rows = await db.execute(sql`
    insert into ${candles} (symbol, interval, open_time, open, high, low, close, volume, trades)
    select ${candles.symbol}, '1d', ${day},
           (array_agg(${candles.open} order by ${candles.openTime}))[1],
           max(${candles.high}), min(${candles.low}),
           (array_agg(${candles.close} order by ${candles.openTime} desc))[1],
           sum(${candles.volume}), sum(${candles.trades})
    from ${candles}
    where ${and(...conds)}
    group by ${candles.symbol}, ${day}
    on conflict (symbol, interval, open_time) do update set
      open = excluded.open, high = excluded.high, low = excluded.low, close = excluded.close,
      volume = excluded.volume, trades = excluded.trades
    returning 1`);
  return rows.length;
}

/** Aggregates quotes into 1-minute candles, stores them and rolls the touched days up. Idempotent. */
export async function recordMinuteCandles(
  db: Db,
  qs: readonly Quote[],
): Promise<{ minutes: number; days: number }> {
  const rows = aggregateMinuteCandles(qs);
  if (rows.length === 0) return { minutes: 0, days: 0 };
  const times = rows.map((r) => r.openTime.getTime());
  return db.transaction(async (tx) => {
    const minutes = await upsertCandles(tx, rows);
    const days = await rollupDailyCandles(tx, {
      from: new Date(Math.min(...times)),
      to: new Date(Math.max(...times)),
      symbols: [...new Set(rows.map((r) => r.symbol))],
    });
    return { minutes, days };
  });
}

/**
 * A quote sink for the feed runner that keeps each symbol's current minute in memory and
 * stores it (with its day's rollup) when the next minute's first quote arrives. `flush()`
 * stores the minutes still in progress (call it on shutdown). Holding whole minutes in memory
 * lets each write replace the row, so a repeated write can never double-count.
 */
export function createCandleRecorder(db: Db): { sink: QuoteSink; flush(): Promise<void> } {
  const pending = new Map<string, Quote[]>();
  const minuteOf = (q: Quote) => minuteStart(q.at).getTime();

  async function write(qs: Quote[]): Promise<void> {
    if (qs.length) await recordMinuteCandles(db, qs);
  }

  return {
    async sink(q) {
      const buf = pending.get(q.symbol);
      if (buf && buf.length && minuteOf(q) > minuteOf(buf[0]!)) {
        pending.set(q.symbol, [q]);
        await write(buf);
      } else if (buf && buf.length && minuteOf(q) < minuteOf(buf[0]!)) {
        return; // a quote for a minute already stored: ignore rather than rewrite history
      } else if (buf) {
        buf.push(q);
      } else {
        pending.set(q.symbol, [q]);
      }
    },
    async flush() {
      const all = [...pending.values()].flat();
      await write(all);
    },
  };
}
