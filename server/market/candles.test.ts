import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and, asc, eq } from "drizzle-orm";
import { createTestDb } from "../../test/db";
import { candles } from "../../db/schema/instruments";
import { ManualClock } from "../domain/clock";
import { D } from "../domain/money";
import { createRng } from "../domain/random";
import { CATALOGUE, upsertCatalogue } from "./catalogue";
import {
  aggregateMinuteCandles,
  createCandleRecorder,
  latestPrices,
  recordMinuteCandles,
  type Candle,
} from "./candles";
import { upsertQuotes, type Quote } from "./quotes";
import { SimulatedFeed } from "./simulated-feed";

const q = (symbol: string, iso: string, bid: string, ask: string): Quote => ({
  symbol,
  bid,
  ask,
  at: new Date(iso),
});

function assertOhlc(c: Candle): void {
  const [o, h, l, cl] = [D(c.open), D(c.high), D(c.low), D(c.close)];
  if (!(l.lte(o) && l.lte(cl) && h.gte(o) && h.gte(cl) && l.gt(0)))
    throw new Error(`inconsistent candle ${JSON.stringify(c)}`);
}

describe("aggregateMinuteCandles", () => {
  const quotes = [
    q("AAPL", "2025-03-10T14:00:05Z", "100.00", "100.02"), // mid 100.01
    q("AAPL", "2025-03-10T14:00:40Z", "100.50", "100.52"), // mid 100.51
    q("AAPL", "2025-03-10T14:00:20Z", "99.80", "99.82"), // mid 99.81 (arrives late)
    q("AAPL", "2025-03-10T14:01:00Z", "100.10", "100.13"), // mid 100.115, next minute
    q("MSFT", "2025-03-10T14:00:59.999Z", "400", "400.04"),
  ];

  it("builds mid-price OHLC per symbol and minute, in time order", () => {
    expect(aggregateMinuteCandles(quotes)).toEqual([
      {
        symbol: "AAPL",
        interval: "1m",
        openTime: new Date("2025-03-10T14:00:00Z"),
        open: "100.01",
        high: "100.51",
        low: "99.81",
        close: "100.51",
        volume: "0",
        trades: 3,
      },
      {
        symbol: "AAPL",
        interval: "1m",
        openTime: new Date("2025-03-10T14:01:00Z"),
        open: "100.115",
        high: "100.115",
        low: "100.115",
        close: "100.115",
        volume: "0",
        trades: 1,
      },
      {
        symbol: "MSFT",
        interval: "1m",
        openTime: new Date("2025-03-10T14:00:00Z"),
        open: "400.02",
        high: "400.02",
        low: "400.02",
        close: "400.02",
        volume: "0",
        trades: 1,
      },
    ]);
  });

  it("does not depend on input order", () => {
    const shuffled = [...quotes];
    const rng = createRng("shuffle");
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
    }
    expect(aggregateMinuteCandles(shuffled)).toEqual(aggregateMinuteCandles(quotes));
  });
});

describe("stored candles", () => {
  let t: Awaited<ReturnType<typeof createTestDb>>;
  let feedQuotes: Quote[];
  beforeAll(async () => {
    t = await createTestDb();
    await upsertCatalogue(t.db);
    // Three hours of 10-second quotes across the US open, every instrument.
    const clock = new ManualClock("2025-03-10T12:30:00Z");
    const feed = new SimulatedFeed({ instruments: CATALOGUE, seed: 11, clock });
    feedQuotes = [];
    for (let i = 0; i < 3 * 360; i++) {
      feedQuotes.push(...feed.step(clock.now()));
      clock.advance(10_000);
    }
  });
  afterAll(async () => {
    await t.drop();
  });

  const all = (interval: "1m" | "1d") =>
    t.db
      .select()
      .from(candles)
      .where(eq(candles.interval, interval))
      .orderBy(asc(candles.symbol), asc(candles.openTime));

  it("stores consistent 1-minute and daily candles, idempotently", async () => {
    const r = await recordMinuteCandles(t.db, feedQuotes);
    expect(r.minutes).toBeGreaterThan(2000);
    const minutes = await all("1m");
    const days = await all("1d");
    expect(minutes).toHaveLength(r.minutes);
    expect(days).toHaveLength(20);
    minutes.forEach(assertOhlc);
    days.forEach(assertOhlc);
    // AAPL opens 13:30Z (09:30 EDT): its first minute candle is the session's first.
    expect(minutes.find((c) => c.symbol === "AAPL")!.openTime).toEqual(
      new Date("2025-03-10T13:30:00Z"),
    );

    // The day is its minutes rolled up.
    for (const d of days) {
      const ms = minutes.filter((m) => m.symbol === d.symbol);
      expect(d.open).toBe(ms[0]!.open);
      expect(d.close).toBe(ms.at(-1)!.close);
      expect(d.high).toBe(
        ms
          .map((m) => D(m.high))
          .reduce((a, b) => (a.gt(b) ? a : b))
          .toFixed(),
      );
      expect(d.low).toBe(
        ms
          .map((m) => D(m.low))
          .reduce((a, b) => (a.lt(b) ? a : b))
          .toFixed(),
      );
      expect(d.trades).toBe(ms.reduce((a, m) => a + m.trades, 0));
    }

    // Re-aggregating the same quotes, in another order, changes nothing.
    await recordMinuteCandles(t.db, [...feedQuotes].reverse());
    expect(await all("1m")).toEqual(minutes);
    expect(await all("1d")).toEqual(days);
  });

  it("the feed's candle recorder stores what batch aggregation stores", async () => {
    const u = await createTestDb();
    try {
      await upsertCatalogue(u.db);
      const recorder = createCandleRecorder(u.db);
      for (const fq of feedQuotes) await recorder.sink(fq);
      await recorder.flush();
      const got = await u.db
        .select()
        .from(candles)
        .orderBy(asc(candles.symbol), asc(candles.interval), asc(candles.openTime));
      const want = await t.db
        .select()
        .from(candles)
        .orderBy(asc(candles.symbol), asc(candles.interval), asc(candles.openTime));
      expect(got).toEqual(want);
    } finally {
      await u.drop();
    }
  });

  it("latestPrices prefers the quote and falls back to the last daily close", async () => {
    const before = await latestPrices(t.db, ["AAPL", "SPY", "BTC-USD"]);
    expect(before.get("AAPL")).toMatchObject({ source: "daily_close", bid: null });
    const aaplDay = await t.db
      .select()
      .from(candles)
      .where(and(eq(candles.symbol, "AAPL"), eq(candles.interval, "1d")));
    expect(before.get("AAPL")!.price).toBe(aaplDay[0]!.close);

    await upsertQuotes(t.db, [q("AAPL", "2025-03-10T16:00:00Z", "190.01", "190.04")]);
    const after = await latestPrices(t.db, ["AAPL", "SPY"]);
    expect(after.get("AAPL")).toEqual({
      symbol: "AAPL",
      price: "190.025",
      bid: "190.01",
      ask: "190.04",
      at: new Date("2025-03-10T16:00:00Z"),
      source: "quote",
    });
    expect(after.get("SPY")!.source).toBe("daily_close");
    expect(after.has("BTC-USD")).toBe(false); // not asked for
    expect((await latestPrices(t.db)).size).toBe(20);
    expect((await latestPrices(t.db, ["NOPE"])).size).toBe(0);

    // The feed resumes from these prices.
    const feed = new SimulatedFeed({
      instruments: CATALOGUE,
      seed: 1,
      clock: new ManualClock(),
      startPrices: after,
    });
    const [aapl] = feed.step(new Date("2025-03-11T15:00:00Z")).filter((x) => x.symbol === "AAPL");
    // Mid 190.025 with AAPL's 1 bps spread (2 ticks): centred to within half a tick.
    expect(D(aapl!.ask).minus(aapl!.bid).toFixed()).toBe("0.02");
    expect(D(aapl!.bid).plus(aapl!.ask).div(2).minus("190.025").abs().lte("0.005")).toBe(true);
  });
});
