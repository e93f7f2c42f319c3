import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asc, eq, and } from "drizzle-orm";
import { createTestDb } from "../../test/db";
import { candles } from "../../db/schema/instruments";
import { D, isOnStep } from "../domain/money";
import { CATALOGUE, catalogueEntry, upsertCatalogue } from "./catalogue";
import { backfillHistory, latestPrices, type Candle } from "./candles";
import { isMarketOpen } from "./hours";

const END = new Date("2025-03-12T15:47:00Z"); // a Wednesday, US market open

async function freshDb() {
  const t = await createTestDb();
  await upsertCatalogue(t.db);
  return t;
}

const fingerprint = (rows: Candle[]) =>
  rows
    .map(
      (c) =>
        `${c.symbol}|${c.interval}|${c.openTime.toISOString()}|${c.open}|${c.high}|${c.low}|${c.close}|${c.volume}`,
    )
    .join("\n");

describe("backfillHistory", () => {
  let t: Awaited<ReturnType<typeof createTestDb>>;
  let rows: Candle[];
  beforeAll(async () => {
    t = await freshDb();
    await backfillHistory(t.db, { days: 400, end: END, seed: 7 });
    rows = await t.db
      .select()
      .from(candles)
      .orderBy(asc(candles.symbol), asc(candles.interval), asc(candles.openTime));
  });
  afterAll(async () => {
    await t.drop();
  });

  // Its speed is measured by `npm run bench:backfill`, not asserted here.
  it("writes 20 instruments × 400 days", () => {
    expect(new Set(rows.map((r) => r.symbol)).size).toBe(20);
  });

  it("produces consistent candles on the tick, with volume on the quantity step", () => {
    for (const c of rows) {
      const inst = catalogueEntry(c.symbol);
      const ok =
        [c.open, c.high, c.low, c.close].every((p) => isOnStep(p, inst.tickSize) && D(p).gt(0)) &&
        D(c.low).lte(D(c.open)) &&
        D(c.low).lte(D(c.close)) &&
        D(c.high).gte(D(c.open)) &&
        D(c.high).gte(D(c.close)) &&
        isOnStep(c.volume, inst.qtyStep) &&
        (inst.sim.avgDailyVolume === 0 || D(c.volume).gt(0));
      if (!ok) throw new Error(`bad candle ${JSON.stringify(c)}`);
    }
  });

  it("has a candle exactly on the trading days, ending at the typical price", async () => {
    const days = (s: string) => rows.filter((r) => r.symbol === s);
    // 400 calendar days before END's day: all of them for crypto, only weekdays for equities.
    expect(days("BTC-USD")).toHaveLength(400);
    expect(
      days("AAPL").every((c) => c.openTime.getUTCDay() >= 1 && c.openTime.getUTCDay() <= 5),
    ).toBe(true);
    expect(days("AAPL").length).toBeGreaterThan(280);
    expect(days("AAPL").length).toBeLessThan(290);
    expect(days("ES").some((c) => c.openTime.getUTCDay() === 0)).toBe(true); // Sunday evening session
    expect(days("ES").some((c) => c.openTime.getUTCDay() === 6)).toBe(false);
    expect(days("BTC-USD").at(-1)!.openTime).toEqual(new Date("2025-03-11T00:00:00Z"));
    const latest = await latestPrices(t.db);
    for (const inst of CATALOGUE)
      expect(latest.get(inst.symbol)).toMatchObject({
        price: inst.sim.startPrice,
        source: "daily_close",
      });
  });

  it("has plausible daily volatility", () => {
    const closes = rows.filter((r) => r.symbol === "BTC-USD").map((r) => Number(r.close));
    const r = closes.slice(1).map((c, i) => Math.log(c / closes[i]!));
    const sd = Math.sqrt(r.reduce((a, b) => a + b * b, 0) / r.length);
    const annual = sd * Math.sqrt(364);
    expect(annual).toBeGreaterThan(0.6 * 0.8);
    expect(annual).toBeLessThan(0.6 * 1.2);
  });

  it("is deterministic in its seed and idempotent", async () => {
    const u = await freshDb();
    try {
      await backfillHistory(u.db, { days: 400, end: END, seed: 7 });
      await backfillHistory(u.db, { days: 400, end: END, seed: 7 });
      const again = await u.db
        .select()
        .from(candles)
        .orderBy(asc(candles.symbol), asc(candles.interval), asc(candles.openTime));
      expect(fingerprint(again)).toBe(fingerprint(rows));
      await backfillHistory(u.db, { symbols: ["SPY"], days: 30, end: END, seed: 8 });
      const spy = await u.db
        .select()
        .from(candles)
        .where(eq(candles.symbol, "SPY"))
        .orderBy(asc(candles.openTime));
      expect(fingerprint(spy.slice(-20))).not.toBe(
        fingerprint(rows.filter((r) => r.symbol === "SPY").slice(-20)),
      );
    } finally {
      await u.drop();
    }
  });

  it("refuses symbols that are not in the database or not in the catalogue", async () => {
    const u = await createTestDb();
    try {
      await expect(
        backfillHistory(u.db, { days: 5, end: END, seed: 1, symbols: ["AAPL"] }),
      ).rejects.toThrow(/not in the database \(run upsertCatalogue first\): AAPL/);
      await expect(
        backfillHistory(u.db, { days: 5, end: END, seed: 1, symbols: ["DOGE"] }),
      ).rejects.toThrow(/"DOGE" is not in the instrument catalogue/);
    } finally {
      await u.drop();
    }
  });
});

describe("backfillHistory with recent minutes", () => {
  let t: Awaited<ReturnType<typeof createTestDb>>;
  let minutes: Candle[];
  let days: Candle[];
  beforeAll(async () => {
    t = await freshDb();
    await backfillHistory(t.db, { days: 400, end: END, seed: 3, minuteHours: 24 });
    const get = (interval: "1m" | "1d") =>
      t.db
        .select()
        .from(candles)
        .where(eq(candles.interval, interval))
        .orderBy(asc(candles.symbol), asc(candles.openTime));
    minutes = await get("1m");
    days = await get("1d");
  });
  afterAll(async () => {
    await t.drop();
  });

  it("covers the window from a UTC midnight to the last whole minute, only in trading hours", () => {
    const btc = minutes.filter((m) => m.symbol === "BTC-USD");
    expect(btc[0]!.openTime).toEqual(new Date("2025-03-11T00:00:00Z"));
    expect(btc.at(-1)!.openTime).toEqual(new Date("2025-03-12T15:46:00Z"));
    expect(btc).toHaveLength(24 * 60 + 15 * 60 + 47);
    for (const m of minutes)
      if (!isMarketOpen(catalogueEntry(m.symbol), m.openTime))
        throw new Error(`minute out of hours ${JSON.stringify(m)}`);
    expect(btc.at(-1)!.close).toBe("65000");
  });

  it("chains minutes without jumps inside a session", () => {
    for (let i = 1; i < minutes.length; i++) {
      const [a, b] = [minutes[i - 1]!, minutes[i]!];
      if (
        a.symbol === b.symbol &&
        b.openTime.getTime() - a.openTime.getTime() === 60_000 &&
        a.close !== b.open
      ) {
        throw new Error(`jump between ${JSON.stringify(a)} and ${JSON.stringify(b)}`);
      }
    }
  });

  it("makes the window's daily candles the rollup of their minutes", async () => {
    for (const day of ["2025-03-11T00:00:00Z", "2025-03-12T00:00:00Z"]) {
      for (const symbol of ["AAPL", "ES", "BTC-USD"]) {
        const d = days.find(
          (c) => c.symbol === symbol && c.openTime.toISOString() === new Date(day).toISOString(),
        )!;
        const ms = minutes.filter(
          (m) =>
            m.symbol === symbol &&
            m.openTime >= new Date(day) &&
            m.openTime.getTime() < new Date(day).getTime() + 86_400_000,
        );
        expect(d.open).toBe(ms[0]!.open);
        expect(d.close).toBe(ms.at(-1)!.close);
        expect(D(d.volume).eq(ms.reduce((a, m) => a.plus(m.volume), D(0)))).toBe(true);
      }
    }
    const [before] = await t.db
      .select()
      .from(candles)
      .where(
        and(
          eq(candles.symbol, "BTC-USD"),
          eq(candles.interval, "1d"),
          eq(candles.openTime, new Date("2025-03-10T00:00:00Z")),
        ),
      );
    const firstMinute = minutes.find((m) => m.symbol === "BTC-USD")!;
    expect(before!.close).toBe(firstMinute.open); // the daily walk continues from the minutes
  });
});
