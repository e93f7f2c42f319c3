import type { Db } from "../../db/client";
import type { TradingHours } from "../../db/schema/instruments";
import type { Clock } from "../domain/clock";
import { DomainError } from "../domain/money";
import { createRng, type Rng } from "../domain/random";
import type { SimParams } from "./catalogue";
import { isMarketOpen } from "./hours";
import { upsertQuotes, type Quote, type QuoteSink } from "./quotes";
import { gaussian, gbmStep, quoteAround, tradingYearMs } from "./random-walk";
import { TickGrid } from "./ticks";

export type { Quote, QuoteSink } from "./quotes";

/** What the feed needs of an instrument; every `CatalogueEntry` is one. */
export type FeedInstrument = {
  symbol: string;
  tickSize: string;
  tradingHours: TradingHours;
  sim: SimParams;
};

/**
 * The first quote after the market was closed moves as much as this much continuous trading
 * would. Without a cap, a weekend (or a stalled runner) would be one huge step; with it, the
 * overnight gap is of a plausible size.
 */
export const MAX_STEP_MS = 60 * 60_000;

type State = {
  inst: FeedInstrument;
  grid: TickGrid;
  rng: Rng;
  yearMs: number;
  mid: number;
  lastOpenAt: number | null;
};

/**
 * A seeded, deterministic market: each instrument follows a geometric random walk with its
 * own volatility (measured in trading time), quoted with its spread on its tick, and only
 * while its market is open. Same seed, same instruments and same sequence of `step` times
 * give the same quotes. Each instrument draws from its own fork of the seed, so adding an
 * instrument does not change any other instrument's path.
 */
export class SimulatedFeed {
  readonly clock: Clock;
  private readonly states: State[];
  private lastAt: number | null = null;

  constructor(opts: {
    instruments: readonly FeedInstrument[];
    seed: number | string;
    clock: Clock;
    /** Where each walk starts (e.g. `latestPrices` after a backfill); default `sim.startPrice`. */
    startPrices?:
      ReadonlyMap<string, string | { price: string }> | Readonly<Record<string, string>>;
  }) {
    this.clock = opts.clock;
    const root = createRng(opts.seed).fork("simulated-feed");
    // Accepts `latestPrices(db)` as is, so the live walk continues from the stored history.
    const start = (s: string): string | undefined => {
      const v =
        opts.startPrices instanceof Map
          ? opts.startPrices.get(s)
          : (opts.startPrices as Record<string, string> | undefined)?.[s];
      return typeof v === "string" ? v : v?.price;
    };
    this.states = opts.instruments.map((inst) => {
      const mid = Number(start(inst.symbol) ?? inst.sim.startPrice);
      if (!(mid > 0))
        throw new DomainError("INVALID_PRICE", `start price of ${inst.symbol} must be positive`);
      return {
        inst,
        grid: new TickGrid(inst.tickSize),
        rng: root.fork(inst.symbol),
        yearMs: tradingYearMs(inst.tradingHours),
        mid,
        lastOpenAt: null,
      };
    });
  }

  /**
   * Advances every walk to `at` and returns the quotes of the instruments whose market is
   * open at `at` (none for the others). No I/O. Time must not go backwards.
   */
  step(at: Date): Quote[] {
    const t = at.getTime();
    if (!Number.isFinite(t)) throw new DomainError("INVALID_DATE", "step() needs a valid date");
    if (this.lastAt !== null && t < this.lastAt) {
      throw new DomainError(
        "CLOCK_BACKWARDS",
        `feed stepped back from ${new Date(this.lastAt).toISOString()} to ${at.toISOString()}`,
      );
    }
    this.lastAt = t;
    const out: Quote[] = [];
    for (const s of this.states) {
      // Drawn whether or not the market is open: the stream position depends only on the
      // number of steps, which keeps replays aligned when trading hours change.
      const z = gaussian(s.rng);
      if (!isMarketOpen(s.inst, at)) continue;
      if (s.lastOpenAt !== null) {
        const dtMs = Math.min(t - s.lastOpenAt, MAX_STEP_MS);
        s.mid = gbmStep(s.mid, s.inst.sim.annualVol, dtMs / s.yearMs, z);
      }
      s.lastOpenAt = t;
      const { bid, ask } = quoteAround(s.mid, s.inst.sim.spreadBps, s.grid);
      out.push({ symbol: s.inst.symbol, bid, ask, at: new Date(t) });
    }
    return out;
  }
}

export type FeedRunner = {
  /** Runs one step now (serialized with the timer's steps) and resolves with its quotes. */
  tick(): Promise<Quote[]>;
  /** Stops the timer and waits for a step in progress to finish. */
  stop(): Promise<void>;
};

/**
 * Runs the feed: every `intervalMs`, one step at `feed.clock.now()`; the quotes are upserted
 * into `quotes` first (so a sink reading the table sees them) and then handed to each sink in
 * order, one quote at a time. A failing sink is reported to `onError` and does not stop the
 * feed or the other sinks: the market does not wait for one slow consumer to recover.
 * Steps never overlap (a chained timer, not setInterval).
 */
export function startFeed(opts: {
  db: Db;
  feed: SimulatedFeed;
  intervalMs: number;
  sinks?: readonly QuoteSink[];
  onError?: (
    err: unknown,
    ctx: { stage: "store" | "sink"; symbol?: string; sink?: number },
  ) => void;
  /** Run the first step immediately (default true). */
  immediate?: boolean;
}): FeedRunner {
  const { db, feed, intervalMs, sinks = [] } = opts;
  if (!(intervalMs > 0))
    throw new DomainError("INVALID_INTERVAL", `intervalMs must be positive, got ${intervalMs}`);
  const onError = opts.onError ?? ((err, ctx) => console.error("[market] feed error", ctx, err));
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let chain: Promise<unknown> = Promise.resolve();

  async function runOnce(): Promise<Quote[]> {
    const qs = feed.step(feed.clock.now());
    try {
      await upsertQuotes(db, qs);
    } catch (err) {
      onError(err, { stage: "store" });
    }
    for (const q of qs) {
      for (let i = 0; i < sinks.length; i++) {
        try {
          await sinks[i]!(q);
        } catch (err) {
          onError(err, { stage: "sink", symbol: q.symbol, sink: i });
        }
      }
    }
    return qs;
  }

  function tick(): Promise<Quote[]> {
    const p = chain.then(runOnce);
    chain = p.catch((err) => onError(err, { stage: "store" }));
    return p;
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      timer = null;
      void tick()
        .catch(() => {})
        .finally(schedule);
    }, intervalMs);
  }

  if (opts.immediate ?? true)
    void tick()
      .catch(() => {})
      .finally(schedule);
  else schedule();

  return {
    tick,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await chain;
    },
  };
}
