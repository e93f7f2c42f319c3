import type { Db } from "../../db/client";
import { D, fmt } from "../domain/money";
import { minuteStart, rollupDailyCandles, upsertCandles, type Candle } from "./candle-store";
import type { Quote, QuoteSink } from "./quotes";

export * from "./candle-store";
export { backfillHistory, type BackfillOptions } from "./backfill";
export { latestPrices, type LatestPrice } from "./prices";

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
 * A quote sink for the feed runner. It holds the current minute's quotes (all symbols) in
 * memory; the first quote of a later minute stores the finished minute for every symbol in one
 * transaction, with the rollup of its day. `flush()` stores the minute still in progress
 * (call it on shutdown). Whole minutes are written, so each write replaces its rows and a
 * repeated write can never double-count. A quote older than the minute in progress is ignored
 * rather than rewriting a stored minute from partial data.
 */
export function createCandleRecorder(db: Db): { sink: QuoteSink; flush(): Promise<void> } {
  let pending: Quote[] = [];
  let current: number | null = null;

  return {
    async sink(q) {
      const m = minuteStart(q.at).getTime();
      if (current === null || m === current) {
        current = m;
        pending.push(q);
      } else if (m > current) {
        const done = pending;
        pending = [q];
        current = m;
        await recordMinuteCandles(db, done);
      }
    },
    async flush() {
      const done = pending;
      pending = [];
      await recordMinuteCandles(db, done);
    },
  };
}
