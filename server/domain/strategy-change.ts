import { D, Decimal, ZERO, fmt } from "./money";

/*
 * The strategy-change detector (ADR 0035): a leader's recent trading against their own
 * trailing 30 days. Pure: the worker's loop (server/engine/risk/strategy-change.ts) loads
 * the history, this decides. A leader is compared with themselves, not with other leaders,
 * because "large" means nothing across strategies: a sudden tenfold jump does.
 */

export type StrategyChangeRules = {
  /** The recent window, in hours, ending now. */
  recentHours: number;
  /** The trailing window, in days, ending where the recent window starts. */
  trailingDays: number;
  /** Flag when the largest recent position is at least this many times the trailing median. */
  sizeFactor: string;
  /** Flag when recent peak leverage is at least this many times the trailing median… */
  leverageFactor: string;
  /** …and above this leverage at all (1 = exposure equal to equity). */
  leverageFloor: string;
  /** Flag when at least this share of recent traded value is in instruments new to the leader. */
  newInstrumentShare: string;
  /** Flag when the recent median holding time is this many times shorter or longer. */
  holdingFactor: string;
  /** Flag when the spread of recent round-trip results is this many times the trailing spread. */
  volatilityFactor: string;
  /** Fewer trailing fills than this is too little history to compare against: no flag. */
  minTrailingFills: number;
  /** Holding time and volatility need this many round trips in each window. */
  minTrades: number;
};

export const STRATEGY_CHANGE_RULES: StrategyChangeRules = {
  recentHours: 24,
  trailingDays: 30,
  sizeFactor: "5",
  leverageFactor: "3",
  leverageFloor: "1",
  newInstrumentShare: "0.5",
  holdingFactor: "10",
  volatilityFactor: "3",
  minTrailingFills: 10,
  minTrades: 3,
};

/** Each rule in words, for the profile and the agreement: the one wording (ADR 0035). */
export function strategyChangeRuleWords(r: StrategyChangeRules = STRATEGY_CHANGE_RULES) {
  const pct = D(r.newInstrumentShare).times(100).toFixed(0);
  return [
    `Position size: the largest position of the last ${r.recentHours} h is at least ${r.sizeFactor}× the leader's median position of the ${r.trailingDays} days before.`,
    `Leverage: the highest exposure-to-equity of the last ${r.recentHours} h is at least ${r.leverageFactor}× the ${r.trailingDays}-day median and above ${r.leverageFloor}× equity.`,
    `Instruments: at least ${pct} % of the value traded in the last ${r.recentHours} h is in instruments the leader did not trade in the ${r.trailingDays} days before.`,
    `Holding time: the median time a position is held in the last ${r.recentHours} h is ${r.holdingFactor}× shorter or longer than over the ${r.trailingDays} days before (at least ${r.minTrades} round trips in each).`,
    `Volatility: the spread (standard deviation) of round-trip results in the last ${r.recentHours} h is at least ${r.volatilityFactor}× that of the ${r.trailingDays} days before (at least ${r.minTrades} round trips in each).`,
    `A leader with fewer than ${r.minTrailingFills} trades in the ${r.trailingDays} days before is not compared: there is too little history to tell a change from a start.`,
  ];
}

export type HistoryFill = {
  symbol: string;
  side: "buy" | "sell";
  qty: Decimal.Value;
  price: Decimal.Value;
  multiplier: Decimal.Value;
  /** The leader's signed position in the symbol after this fill. */
  positionAfter: Decimal.Value;
  at: Date;
};

/** A round trip (flat to flat), e.g. from server/queries/trades.ts closedTradesFromFills. */
export type HistoryTrade = { openedAt: Date | string; closedAt: Date | string; pnl: Decimal.Value };

export type StrategyChangeInput = {
  now: Date;
  /** The leader's fills in time order; anything older than both windows is ignored. */
  fills: readonly HistoryFill[];
  trades?: readonly HistoryTrade[];
  /** The leader's end-of-day equity (UTC day, YYYY-MM-DD), for leverage. */
  equity?: ReadonlyArray<{ day: string; equity: Decimal.Value }>;
  rules?: StrategyChangeRules;
};

export type Metric = "size" | "leverage" | "instruments" | "holding" | "volatility";

export type MetricFigure = {
  /** Null when the window has nothing to measure. */
  recent: string | null;
  trailing: string | null;
  departed: boolean;
  words: string;
};

export type StrategyChange = {
  /** False when the trailing window is too thin to compare against. */
  compared: boolean;
  flagged: boolean;
  /** One line per departed metric, e.g. "position size 10× the 30-day median". */
  reasons: string[];
  figures: Record<Metric, MetricFigure>;
  window: { recentFrom: string; trailingFrom: string; now: string };
  fills: { recent: number; trailing: number };
};

const HOUR = 3_600_000;
const ms = (d: Date | string) => (d instanceof Date ? d.getTime() : Date.parse(d));

function median(xs: readonly Decimal[]): Decimal | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a.comparedTo(b));
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : s[mid - 1]!.plus(s[mid]!).div(2);
}

function stdev(xs: readonly Decimal[]): Decimal | null {
  if (xs.length < 2) return null;
  const mean = xs.reduce((a, b) => a.plus(b), ZERO).div(xs.length);
  const v = xs.reduce((a, b) => a.plus(b.minus(mean).pow(2)), ZERO).div(xs.length - 1);
  return v.sqrt();
}

const max = (xs: readonly Decimal[]) => (xs.length ? xs.reduce((a, b) => (b.gt(a) ? b : a)) : null);
const shown = (d: Decimal | null, dp = 2) => (d === null ? null : fmt(d.toDecimalPlaces(dp)));
const times = (a: Decimal, b: Decimal) => (b.isZero() ? "∞" : fmt(a.div(b).toDecimalPlaces(1)));

/**
 * Exposure after each fill: |position| × price × multiplier per symbol, each symbol valued
 * at its own latest fill price, summed over the symbols the history has seen.
 */
function exposures(fills: readonly HistoryFill[]) {
  const held = new Map<string, Decimal>();
  return fills.map((f) => {
    held.set(f.symbol, D(f.positionAfter).abs().times(f.price).times(f.multiplier));
    let gross = ZERO;
    for (const v of held.values()) gross = gross.plus(v);
    return {
      at: f.at,
      position: D(f.positionAfter).abs().times(f.price).times(f.multiplier),
      gross,
    };
  });
}

export function detectStrategyChange(input: StrategyChangeInput): StrategyChange {
  const r = input.rules ?? STRATEGY_CHANGE_RULES;
  const now = input.now.getTime();
  const recentFrom = now - r.recentHours * HOUR;
  const trailingFrom = recentFrom - r.trailingDays * 24 * HOUR;
  const inRecent = (t: number) => t >= recentFrom && t <= now;
  const inTrailing = (t: number) => t >= trailingFrom && t < recentFrom;

  const fills = input.fills.filter((f) => ms(f.at) >= trailingFrom && ms(f.at) <= now);
  const recent = fills.filter((f) => inRecent(ms(f.at)));
  const trailing = fills.filter((f) => inTrailing(ms(f.at)));
  const compared = trailing.length >= r.minTrailingFills && recent.length > 0;

  const exp = exposures(fills);
  const expRecent = exp.filter((e) => inRecent(ms(e.at)));
  const expTrailing = exp.filter((e) => inTrailing(ms(e.at)));

  // Size: positions actually held, so adding to a position in small fills still counts.
  const sizeR = max(expRecent.map((e) => e.position).filter((p) => !p.isZero()));
  const sizeT = median(expTrailing.map((e) => e.position).filter((p) => !p.isZero()));
  const sizeOut =
    compared &&
    sizeR !== null &&
    sizeT !== null &&
    sizeT.gt(0) &&
    sizeR.gte(sizeT.times(r.sizeFactor));

  // Leverage: gross exposure over the equity at the end of the day before the fill.
  const eq = [...(input.equity ?? [])]
    .map((e) => ({ t: Date.parse(`${e.day}T00:00:00Z`) + 24 * HOUR, equity: D(e.equity) }))
    .sort((a, b) => a.t - b.t);
  const equityAt = (t: number) => {
    let found: Decimal | null = null;
    for (const e of eq) if (e.t <= t) found = e.equity;
    return found ?? (eq.length ? eq[0]!.equity : null);
  };
  const lev = (list: typeof exp) =>
    list.flatMap((e) => {
      const q = equityAt(ms(e.at));
      return q && q.gt(0) ? [e.gross.div(q)] : [];
    });
  const levR = max(lev(expRecent));
  const levT = median(lev(expTrailing));
  const levOut =
    compared &&
    levR !== null &&
    levT !== null &&
    levR.gt(r.leverageFloor) &&
    (levT.isZero() || levR.gte(levT.times(r.leverageFactor)));

  // Instruments: the share of recent traded value in symbols absent from the trailing window.
  const known = new Set(trailing.map((f) => f.symbol));
  const value = (f: HistoryFill) => D(f.qty).times(f.price).times(f.multiplier);
  const total = recent.reduce((a, f) => a.plus(value(f)), ZERO);
  const fresh = recent.filter((f) => !known.has(f.symbol)).reduce((a, f) => a.plus(value(f)), ZERO);
  const share = total.gt(0) ? fresh.div(total) : null;
  const newSymbols = [...new Set(recent.filter((f) => !known.has(f.symbol)).map((f) => f.symbol))];
  const instOut = compared && share !== null && share.gte(r.newInstrumentShare);

  // Holding time and volatility: round trips closed in each window.
  const trades = (input.trades ?? []).filter((t) => ms(t.closedAt) >= trailingFrom);
  const tR = trades.filter((t) => inRecent(ms(t.closedAt)));
  const tT = trades.filter((t) => inTrailing(ms(t.closedAt)));
  const enoughTrades = compared && tR.length >= r.minTrades && tT.length >= r.minTrades;
  const hours = (t: HistoryTrade) => D(ms(t.closedAt) - ms(t.openedAt)).div(HOUR);
  const holdR = median(tR.map(hours));
  const holdT = median(tT.map(hours));
  const hf = D(r.holdingFactor);
  const holdOut =
    enoughTrades &&
    holdR !== null &&
    holdT !== null &&
    holdT.gt(0) &&
    (holdR.times(hf).lte(holdT) || holdR.gte(holdT.times(hf)));
  const volR = stdev(tR.map((t) => D(t.pnl)));
  const volT = stdev(tT.map((t) => D(t.pnl)));
  const volOut =
    enoughTrades &&
    volR !== null &&
    volT !== null &&
    volR.gt(0) &&
    volR.gte(volT.times(r.volatilityFactor));

  const days = `${r.trailingDays}-day`;
  const figures: Record<Metric, MetricFigure> = {
    size: {
      recent: shown(sizeR),
      trailing: shown(sizeT),
      departed: sizeOut,
      words:
        sizeR && sizeT && sizeT.gt(0)
          ? `position size ${times(sizeR, sizeT)}× the ${days} median`
          : "position size: nothing to compare",
    },
    leverage: {
      recent: shown(levR, 4),
      trailing: shown(levT, 4),
      departed: levOut,
      words:
        levR && levT
          ? `leverage ${shown(levR)}× equity against a ${days} median of ${shown(levT)}×`
          : "leverage: no equity history to compare",
    },
    instruments: {
      recent: shown(share, 4),
      trailing: String(known.size),
      departed: instOut,
      words:
        share !== null
          ? `${D(share).times(100).toFixed(0)} % of recent trading in instruments new to the leader${newSymbols.length ? ` (${newSymbols.slice(0, 5).join(", ")})` : ""}`
          : "instruments: nothing traded recently",
    },
    holding: {
      recent: shown(holdR, 4),
      trailing: shown(holdT, 4),
      departed: holdOut,
      words:
        holdR && holdT
          ? `median holding time ${shown(holdR)} h against ${shown(holdT)} h over ${r.trailingDays} days`
          : "holding time: too few round trips",
    },
    volatility: {
      recent: shown(volR),
      trailing: shown(volT),
      departed: volOut,
      words:
        volR && volT && volT.gt(0)
          ? `round-trip results ${times(volR, volT)}× as spread as over ${r.trailingDays} days`
          : "volatility: too few round trips",
    },
  };
  const reasons = (Object.keys(figures) as Metric[])
    .filter((m) => figures[m].departed)
    .map((m) => figures[m].words);
  return {
    compared,
    flagged: reasons.length > 0,
    reasons,
    figures,
    window: {
      recentFrom: new Date(recentFrom).toISOString(),
      trailingFrom: new Date(trailingFrom).toISOString(),
      now: input.now.toISOString(),
    },
    fills: { recent: recent.length, trailing: trailing.length },
  };
}

/** What a follower can choose to happen while their leader is flagged (copy option `on_leader_flag`). */
export const LEADER_FLAG_CHOICES = {
  notify: {
    label: "Tell me and keep copying",
    words: "You are told in your notifications, and the copy keeps following the leader as before.",
  },
  pause_increases: {
    label: "Tell me and pause new buying",
    words:
      "You are told, and the copy opens or adds to no position while the flag is open (reason “leader changed strategy”); reductions and closes still follow the leader.",
  },
} as const;
export type LeaderFlagChoice = keyof typeof LEADER_FLAG_CHOICES;

/** How a flag ends, in words. */
export const FLAG_END_WORDS =
  "A flag closes by itself once a full 24 hours pass without a departure from the leader's own trailing 30 days (so a lasting new style becomes the new normal after about a month), or when an admin clears it after looking into it.";
