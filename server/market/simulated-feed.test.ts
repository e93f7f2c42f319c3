import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb } from "../../test/db";
import { quotes as quotesTable } from "../../db/schema/instruments";
import { ManualClock } from "../domain/clock";
import { D, isOnStep } from "../domain/money";
import { CATALOGUE, catalogueEntry, upsertCatalogue } from "./catalogue";
import { isMarketOpen } from "./hours";
import { upsertQuotes, type Quote } from "./quotes";
import { quoteAround } from "./random-walk";
import { SimulatedFeed, startFeed } from "./simulated-feed";
import { TickGrid } from "./ticks";

const MONDAY = "2025-03-10T13:00:00Z"; // 09:00 New York: equities still closed, FX and futures open

function run(
  seed: number | string,
  steps: number,
  stepMs: number,
  instruments = CATALOGUE,
  start = MONDAY,
): Quote[][] {
  const clock = new ManualClock(start);
  const feed = new SimulatedFeed({ instruments, seed, clock });
  const out: Quote[][] = [];
  for (let i = 0; i < steps; i++) {
    out.push(feed.step(clock.now()));
    clock.advance(stepMs);
  }
  return out;
}

const midOf = (q: Quote) => D(q.bid).plus(q.ask).div(2).toNumber();

describe("SimulatedFeed", () => {
  // A week in 5-minute steps: every weekday session, a weekend and two reopenings.
  const week = run(42, 7 * 288, 5 * 60_000);

  it("is deterministic: same seed, same quotes; another seed, other quotes", () => {
    expect(run(42, 7 * 288, 5 * 60_000)).toEqual(week);
    const other = run(43, 7 * 288, 5 * 60_000);
    expect(other).not.toEqual(week);
    expect(other.flat().length).toBe(week.flat().length); // the same hours, different prices
  });

  it("quotes on the tick with bid < ask, and only while the market is open", () => {
    const clock = new ManualClock(MONDAY);
    let n = 0;
    for (const step of week) {
      const at = clock.now();
      const quoted = new Set(step.map((q) => q.symbol));
      for (const inst of CATALOGUE) expect(quoted.has(inst.symbol)).toBe(isMarketOpen(inst, at));
      for (const q of step) {
        const inst = catalogueEntry(q.symbol);
        if (
          !isOnStep(q.bid, inst.tickSize) ||
          !isOnStep(q.ask, inst.tickSize) ||
          !D(q.bid).lt(q.ask) ||
          !D(q.bid).gt(0)
        ) {
          throw new Error(`bad quote ${JSON.stringify(q)}`);
        }
        expect(q.at).toEqual(at);
        n++;
      }
      clock.advance(5 * 60_000);
    }
    expect(n).toBeGreaterThan(15_000);
  });

  it("quotes only crypto on a Saturday", () => {
    const sat = run(1, 3, 60_000, CATALOGUE, "2025-03-08T15:00:00Z");
    for (const step of sat)
      expect(step.map((q) => q.symbol)).toEqual(["BTC-USD", "ETH-USD", "SOL-USD"]);
  });

  it("keeps each instrument's path independent of the others", () => {
    const alone = run(42, 7 * 288, 5 * 60_000, [catalogueEntry("ES")]).flat();
    expect(alone).toEqual(week.flat().filter((q) => q.symbol === "ES"));
  });

  it("quotes the catalogue spread (at least one tick) around the start price", () => {
    const [first] = run(7, 1, 0, CATALOGUE, "2025-03-10T15:00:00Z");
    for (const q of first!) {
      const inst = catalogueEntry(q.symbol);
      const spread = D(q.ask).minus(q.bid);
      const tick = Number(inst.tickSize);
      // The target spread, rounded to whole ticks and never under one.
      const target = Math.max(tick, (midOf(q) * inst.sim.spreadBps) / 10_000);
      expect(spread.gte(inst.tickSize)).toBe(true);
      expect(Math.abs(spread.toNumber() - target)).toBeLessThanOrEqual(tick / 2 + 1e-12);
      expect(Math.abs(midOf(q) / Number(inst.sim.startPrice) - 1)).toBeLessThan(0.001);
    }
  });

  it("realizes the catalogue volatility", () => {
    // 3000 one-minute steps; the standard error of the estimate is about 1.3%.
    for (const symbol of ["BTC-USD", "EURUSD"]) {
      const inst = catalogueEntry(symbol);
      const mids = run(99, 3000, 60_000, [inst], "2025-03-11T00:00:00Z").flat().map(midOf);
      const r = mids.slice(1).map((m, i) => Math.log(m / mids[i]!));
      const mean = r.reduce((a, b) => a + b, 0) / r.length;
      const sd = Math.sqrt(r.reduce((a, b) => a + (b - mean) ** 2, 0) / (r.length - 1));
      const minutesPerYear = symbol === "BTC-USD" ? 7 * 1440 * 52 : 5 * 1440 * 52;
      const annual = sd * Math.sqrt(minutesPerYear);
      expect(annual / inst.sim.annualVol).toBeGreaterThan(0.9);
      expect(annual / inst.sim.annualVol).toBeLessThan(1.1);
    }
  });

  it("starts from given prices and refuses to step back in time", () => {
    const clock = new ManualClock("2025-03-10T15:00:00Z");
    const feed = new SimulatedFeed({
      instruments: [catalogueEntry("BTC-USD")],
      seed: 1,
      clock,
      startPrices: { "BTC-USD": "50000" },
    });
    const [q] = feed.step(clock.now());
    expect(Math.abs(midOf(q!) - 50_000)).toBeLessThan(5);
    expect(() => feed.step(new Date("2025-03-10T14:00:00Z"))).toThrow(/stepped back/);
  });
});

describe("quoteAround and TickGrid", () => {
  it("never quotes less than one tick, nor a bid below one tick", () => {
    const cent = new TickGrid("0.01");
    expect(quoteAround(100.004, 0.01, cent)).toEqual({ bid: "100", ask: "100.01" });
    expect(quoteAround(0.001, 10, cent)).toEqual({ bid: "0.01", ask: "0.02" });
    expect(quoteAround(5600.1, 0.4, new TickGrid("0.25"))).toEqual({ bid: "5600", ask: "5600.25" });
    expect(quoteAround(150.0004, 1, new TickGrid("0.001"))).toEqual({
      bid: "149.993",
      ask: "150.008",
    });
  });
  it("formats grid values exactly and canonically", () => {
    const pip = new TickGrid("0.00001");
    expect(pip.round(1.0850049, "nearest")).toBe("1.085");
    expect(pip.round(1.0850051, "down")).toBe("1.085");
    expect(pip.round(1.0850151, "down")).toBe("1.08501");
    expect(new TickGrid("0.01").round(100.01, "down")).toBe("100.01"); // 100.01 / 0.01 = 10000.999… in floats
    expect(new TickGrid("1000").round(2500, "down")).toBe("2000");
    expect(() => new TickGrid("0")).toThrow(/must be positive/);
  });
});

describe("startFeed", () => {
  let t: Awaited<ReturnType<typeof createTestDb>>;
  beforeAll(async () => {
    t = await createTestDb();
    await upsertCatalogue(t.db);
  });
  afterAll(async () => {
    await t.drop();
  });

  it("upserts the quotes table, then hands every quote to every sink, surviving a failing sink", async () => {
    const clock = new ManualClock("2025-03-10T15:00:00Z");
    const feed = new SimulatedFeed({ instruments: CATALOGUE, seed: 5, clock });
    const seen: Quote[] = [];
    const errors: string[] = [];
    let seenInTable = 0;
    const runner = startFeed({
      db: t.db,
      feed,
      intervalMs: 3_600_000,
      immediate: false,
      sinks: [
        async () => {
          throw new Error("sink down");
        },
        async (q) => {
          seen.push(q);
          // The table is written before sinks run, so a sink may read it.
          if (seen.length === 1) seenInTable = await t.db.$count(quotesTable);
        },
      ],
      onError: (err, ctx) => errors.push(`${ctx.stage}:${ctx.sink}:${(err as Error).message}`),
    });
    const first = await runner.tick();
    expect(first).toHaveLength(20);
    expect(seen).toEqual(first);
    expect(seenInTable).toBe(20);
    expect(errors).toHaveLength(20);
    expect(errors[0]).toBe("sink:0:sink down");

    clock.advance(1000);
    const second = await runner.tick();
    await runner.stop();
    const rows = await t.db.select().from(quotesTable);
    const bySymbol = new Map(rows.map((r) => [r.symbol, r]));
    for (const q of second)
      expect(bySymbol.get(q.symbol)).toEqual({
        symbol: q.symbol,
        bid: q.bid,
        ask: q.ask,
        at: q.at,
      });
  });

  it("runs on its timer until stopped", async () => {
    const clock = new ManualClock("2025-03-10T15:00:00Z");
    const feed = new SimulatedFeed({ instruments: [catalogueEntry("BTC-USD")], seed: 5, clock });
    let calls = 0;
    const runner = startFeed({ db: t.db, feed, intervalMs: 5, sinks: [async () => void calls++] });
    for (let i = 0; i < 200 && calls < 4; i++) await new Promise((r) => setTimeout(r, 10));
    await runner.stop();
    const atStop = calls;
    expect(atStop).toBeGreaterThanOrEqual(4);
    await new Promise((r) => setTimeout(r, 50));
    expect(calls).toBe(atStop);
  });

  it("never lets an older quote overwrite a newer one", async () => {
    await upsertQuotes(t.db, [
      { symbol: "AAPL", bid: "100", ask: "100.02", at: new Date("2025-03-10T15:00:05Z") },
    ]);
    await upsertQuotes(t.db, [
      { symbol: "AAPL", bid: "90", ask: "90.02", at: new Date("2025-03-10T15:00:01Z") },
    ]);
    const [row] = (await t.db.select().from(quotesTable)).filter((r) => r.symbol === "AAPL");
    expect(row!.bid).toBe("100");
  });
});
