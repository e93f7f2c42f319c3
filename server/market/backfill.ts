import { inArray } from "drizzle-orm";
import type { Db } from "../../db/client";
import { instruments, type TradingHours } from "../../db/schema/instruments";
import { DomainError } from "../domain/money";
import { createRng, type Rng } from "../domain/random";
import { CATALOGUE, catalogueEntry, type CatalogueEntry } from "./catalogue";
import { rollupDailyCandles, upsertCandles, utcDayStart, type Candle } from "./candle-store";
import { compileTradingHours, isMarketOpen, weeklyOpenMinutes } from "./hours";
import { gaussian, tradingYearMs } from "./random-walk";
import { MAX_STEP_MS } from "./simulated-feed";
import { TickGrid } from "./ticks";

const MINUTE_MS = 60_000;
const QUARTER_MS = 15 * MINUTE_MS;
const DAY_MS = 86_400_000;

export type BackfillOptions = {
  /** Default: every catalogue instrument. Each must be in the catalogue (for its simulator parameters). */
  symbols?: readonly string[];
  /** Calendar days of history before `end`'s UTC day (400 ≈ 275 equity sessions). */
  days: number;
  /** "Now" of the demo world; history ends here, at each instrument's `sim.startPrice`. */
  end: Date;
  seed: number | string;
  /**
   * Also generate 1-minute candles covering at least the last N hours. The window is widened
   * back to a UTC midnight so every day is either all minutes (its daily candle is their
   * rollup, exactly as live data is) or all daily walk — never a mixture. Default 0.
   */
  minuteHours?: number;
  catalogue?: readonly CatalogueEntry[];
};

/**
 * Plausible, deterministic history for the demo world, written straight as candles. Each walk
 * is generated backwards from `end`, so history ends at the instrument's typical price and the
 * live feed (started from `latestPrices`) continues without a jump. Same options, same rows.
 */
export async function backfillHistory(
  db: Db,
  opts: BackfillOptions,
): Promise<{ daily: number; minute: number; lastClose: Map<string, string> }> {
  if (!Number.isInteger(opts.days) || opts.days < 0)
    throw new DomainError("INVALID_RANGE", `days must be a non-negative integer, got ${opts.days}`);
  const minuteHours = opts.minuteHours ?? 0;
  if (!(minuteHours >= 0))
    throw new DomainError("INVALID_RANGE", `minuteHours must be >= 0, got ${minuteHours}`);
  const entries = (opts.symbols ?? (opts.catalogue ?? CATALOGUE).map((c) => c.symbol)).map((s) =>
    catalogueEntry(s, opts.catalogue),
  );
  if (entries.length === 0) return { daily: 0, minute: 0, lastClose: new Map() };

  const known = await db
    .select({ symbol: instruments.symbol })
    .from(instruments)
    .where(
      inArray(
        instruments.symbol,
        entries.map((e) => e.symbol),
      ),
    );
  const missing = entries.map((e) => e.symbol).filter((s) => !known.some((k) => k.symbol === s));
  if (missing.length)
    throw new DomainError(
      "UNKNOWN_SYMBOL",
      `instruments not in the database (run upsertCatalogue first): ${missing.join(", ")}`,
    );

  const endMs = opts.end.getTime();
  const endDay = utcDayStart(opts.end).getTime();
  const windowStart =
    minuteHours > 0 ? utcDayStart(new Date(endMs - minuteHours * 3_600_000)).getTime() : endDay;
  const firstDay = Math.min(endDay - opts.days * DAY_MS, windowStart);
  const root = createRng(opts.seed).fork("backfill");

  const daily: Candle[] = [];
  const minute: Candle[] = [];
  const lastClose = new Map<string, string>();
  // Instruments with the same hours (all US stocks, all CME futures) share the calendar work.
  const openMinutesByHours = new Map<TradingHours, number[]>();
  const openMsByHours = new Map<TradingHours, Map<number, number>>();
  for (const inst of entries) {
    let openMs = openMsByHours.get(inst.tradingHours);
    if (!openMs) openMsByHours.set(inst.tradingHours, (openMs = new Map()));
    const gen = new Generator(inst, root.fork(inst.symbol), openMs);
    // Minutes first, backwards from the typical price; the daily walk continues backwards from
    // where the minutes begin.
    const minuteTimes: number[] = [];
    if (minuteHours > 0) {
      let times = openMinutesByHours.get(inst.tradingHours);
      if (!times) {
        times = [];
        for (let t = windowStart; t + MINUTE_MS <= endMs; t += MINUTE_MS)
          if (isMarketOpen(inst, new Date(t))) times.push(t);
        openMinutesByHours.set(inst.tradingHours, times);
      }
      minuteTimes.push(...times);
    }
    let price = Number(inst.sim.startPrice);
    const firstBar = { minute: minute.length, daily: daily.length };
    const rngMinute = gen.rng.fork("1m");
    for (let i = minuteTimes.length - 1; i >= 0; i--) {
      const t = minuteTimes[i]!;
      const bar = gen.bar(rngMinute, price, MINUTE_MS, "1m", t, 1 / gen.tradingDayMinutes);
      minute.push(bar.candle);
      const prev = minuteTimes[i - 1];
      price =
        prev !== undefined && prev + MINUTE_MS < t
          ? gen.gap(rngMinute, bar.open, t - prev - MINUTE_MS)
          : bar.open;
    }
    const rngDay = gen.rng.fork("1d");
    for (let d = windowStart - DAY_MS; d >= firstDay; d -= DAY_MS) {
      const openMs = gen.openMsInDay(d);
      if (openMs === 0) continue;
      const bar = gen.bar(
        rngDay,
        price,
        openMs,
        "1d",
        d,
        openMs / MINUTE_MS / gen.tradingDayMinutes,
      );
      daily.push(bar.candle);
      // Closed at midnight (equities): the previous close and this open are separated by a gap.
      price = isMarketOpen(inst, new Date(d)) ? bar.open : gen.gap(rngDay, bar.open, MAX_STEP_MS);
    }
    // Bars are generated newest first: the first one written for this symbol holds the last close.
    const last = minute[firstBar.minute] ?? daily[firstBar.daily];
    if (last) lastClose.set(inst.symbol, last.close);
  }

  await db.transaction(async (tx) => {
    await upsertCandles(tx, daily);
    await upsertCandles(tx, minute);
    if (minute.length)
      await rollupDailyCandles(tx, {
        from: new Date(windowStart),
        to: opts.end,
        symbols: entries.map((e) => e.symbol),
      });
  });
  return { daily: daily.length, minute: minute.length, lastClose };
}

/** Per-instrument bar generator: volatility in trading time, prices on the tick, volume on the quantity step. */
class Generator {
  readonly tradingDayMinutes: number;
  private readonly grid: TickGrid;
  private readonly volGrid: TickGrid;
  private readonly yearMs: number;

  constructor(
    private readonly inst: CatalogueEntry,
    readonly rng: Rng,
    private readonly openMsCache: Map<number, number>,
  ) {
    this.grid = new TickGrid(inst.tickSize);
    this.volGrid = new TickGrid(inst.qtyStep);
    this.yearMs = tradingYearMs(inst.tradingHours);
    // A "trading day" is a fifth of the trading week (390 min for equities, 1380 for CME
    // futures), or a calendar day for markets that never close.
    const always = compileTradingHours(inst.tradingHours).always;
    this.tradingDayMinutes = weeklyOpenMinutes(inst.tradingHours) / (always ? 7 : 5);
  }

  /** Open time within the UTC day starting at `dayMs`, sampled by quarter hour. */
  openMsInDay(dayMs: number): number {
    if (compileTradingHours(this.inst.tradingHours).always) return DAY_MS;
    let open = this.openMsCache.get(dayMs);
    if (open === undefined) {
      open = 0;
      for (let t = dayMs; t < dayMs + DAY_MS; t += QUARTER_MS)
        if (isMarketOpen(this.inst, new Date(t))) open += QUARTER_MS;
      this.openMsCache.set(dayMs, open);
    }
    return open;
  }

  /** Price before a closed period of `closedMs` that ended at `after` (capped like the live feed). */
  gap(rng: Rng, after: number, closedMs: number): number {
    const dt = Math.min(closedMs, MAX_STEP_MS) / this.yearMs;
    return after * Math.exp(-this.inst.sim.annualVol * Math.sqrt(dt) * gaussian(rng));
  }

  /** A bar ending at `close` spanning `spanMs` of trading time; `dayShare` scales its volume. */
  bar(
    rng: Rng,
    close: number,
    spanMs: number,
    interval: "1m" | "1d",
    openTime: number,
    dayShare: number,
  ): { candle: Candle; open: number } {
    const sd = this.inst.sim.annualVol * Math.sqrt(spanMs / this.yearMs);
    const open = close * Math.exp(-sd * gaussian(rng));
    // Extremes beyond the body: half a bar's deviation on average each side.
    const high = Math.max(open, close) * Math.exp(Math.abs(gaussian(rng)) * sd * 0.5);
    const low = Math.min(open, close) * Math.exp(-Math.abs(gaussian(rng)) * sd * 0.5);
    // Lognormal volume noise with mean 1.
    const volume = this.inst.sim.avgDailyVolume * dayShare * Math.exp(0.4 * gaussian(rng) - 0.08);
    const o = Math.max(1, this.grid.toSteps(open, "nearest"));
    const c = Math.max(1, this.grid.toSteps(close, "nearest"));
    const h = Math.max(o, c, this.grid.toSteps(high, "up"));
    const l = Math.max(1, Math.min(o, c, this.grid.toSteps(low, "down")));
    return {
      open: this.grid.toFloat(o),
      candle: {
        symbol: this.inst.symbol,
        interval,
        openTime: new Date(openTime),
        open: this.grid.format(o),
        high: this.grid.format(h),
        low: this.grid.format(l),
        close: this.grid.format(c),
        volume: this.volGrid.round(volume, "down"),
        trades: 0,
      },
    };
  }
}
