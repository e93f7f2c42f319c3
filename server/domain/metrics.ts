import { D, Decimal, DomainError, ZERO, fmt, parseDecimal } from "./money";

/**
 * Performance metrics, the one implementation for leaders, followers and relationships:
 * feed it that account's equity snapshots, its external cash flows and its closed trades
 * (follower numbers from follower fills, fees included) and the numbers are comparable.
 *
 * Ratios come back as decimal strings rounded to RATIO_DP places (half-even), so a value
 * stored, ranked or displayed is the same everywhere. Returns are fractions: "0.21" is 21 %.
 */
export const RATIO_DP = 10;
export const TRADING_DAYS_PER_YEAR = 252;

export type Instant = Date | string;
export interface EquityPoint {
  at: Instant;
  equity: Decimal.Value;
}
/** External money in (positive) or out (negative): deposits, withdrawals, allocation changes. */
export interface CashFlow {
  at: Instant;
  amount: Decimal.Value;
}
export interface ClosedTrade {
  openedAt: Instant;
  closedAt: Instant;
  symbol: string;
  pnl: Decimal.Value;
}
export interface DailyReturn {
  /** UTC calendar day, YYYY-MM-DD. */
  date: string;
  value: string;
}

const ratio = (d: Decimal): string => fmt(d.toDecimalPlaces(RATIO_DP));

function toMs(at: Instant, field: string): number {
  const ms =
    at instanceof Date ? at.getTime() : typeof at === "string" ? Date.parse(at) : Number.NaN;
  if (Number.isNaN(ms))
    throw new DomainError("INVALID_DATE", `${field} is not a valid date: ${String(at)}`);
  return ms;
}

interface Snapshot {
  t: number;
  equity: Decimal;
}

function snapshots(series: readonly EquityPoint[]): Snapshot[] {
  return series
    .map((p, i) => ({
      t: toMs(p.at, `series[${i}].at`),
      equity: parseDecimal(p.equity, `series[${i}].equity`),
    }))
    .sort((a, b) => a.t - b.t); // Array.prototype.sort is stable: equal times keep input order
}

function flowList(flows: readonly CashFlow[]): Array<{ t: number; amount: Decimal }> {
  return flows
    .map((f, i) => ({
      t: toMs(f.at, `flows[${i}].at`),
      amount: parseDecimal(f.amount, `flows[${i}].amount`),
    }))
    .sort((a, b) => a.t - b.t);
}

/**
 * The growth index behind every return metric: I₀ = 1 at the first snapshot and
 * Iₖ = Iₖ₋₁ × (Eₖ − Fₖ) / Eₖ₋₁, where Fₖ is the sum of the flows with Eₖ₋₁'s time < t ≤ Eₖ's
 * time. That is, a flow is assumed to happen at the instant of the first snapshot at or
 * after it, and that snapshot's equity already includes it. Flows at or before the first
 * snapshot are part of the starting capital; flows after the last one are not yet visible.
 * A sub-period starting from equity ≤ 0 has no defined return and is taken as flat.
 */
function growthIndex(
  series: readonly EquityPoint[],
  flows: readonly CashFlow[],
): Array<{ t: number; index: Decimal }> {
  const snaps = snapshots(series);
  const fl = flowList(flows);
  const out: Array<{ t: number; index: Decimal }> = [];
  let f = 0;
  while (f < fl.length && snaps.length > 0 && fl[f]!.t <= snaps[0]!.t) f++;
  let index = D(1);
  snaps.forEach((s, k) => {
    if (k > 0) {
      let inflow = ZERO;
      while (f < fl.length && fl[f]!.t <= s.t) inflow = inflow.plus(fl[f++]!.amount);
      const start = snaps[k - 1]!.equity;
      if (start.gt(0)) index = index.times(s.equity.minus(inflow)).div(start);
    }
    out.push({ t: s.t, index });
  });
  return out;
}

type GrowthIndex = ReturnType<typeof growthIndex>;

// Each metric below is a function of the growth index; the exported ones build it, and
// performanceSummary builds it once for all of them (it is most of the cost: 50-digit
// multiplications and divisions, one per snapshot).

function twrOf(idx: GrowthIndex): string {
  if (idx.length < 2) return "0";
  return ratio(idx[idx.length - 1]!.index.minus(1));
}

function returnSinceOf(idx: GrowthIndex, start: number): string {
  if (idx.length < 2) return "0";
  let base = idx[0]!;
  for (const p of idx) if (p.t <= start) base = p;
  return ratio(idx[idx.length - 1]!.index.div(base.index).minus(1));
}

/** Time-weighted return over the whole series, as a fraction. */
export function timeWeightedReturn(
  series: readonly EquityPoint[],
  flows: readonly CashFlow[] = [],
): string {
  return twrOf(growthIndex(series, flows));
}

/**
 * TWR from `from` to the last snapshot. The period starts at the last snapshot at or before
 * `from` (the equity as of then), or at the first snapshot if none is that early.
 */
export function returnOverPeriod(
  series: readonly EquityPoint[],
  flows: readonly CashFlow[],
  from: Instant,
): string {
  const start = toMs(from, "from");
  return returnSinceOf(growthIndex(series, flows), start);
}

/**
 * returnOverPeriod for several starts and timeWeightedReturn, from one growth index: the
 * same numbers as calling each, for the price of one.
 */
export function returnsOverPeriods(
  series: readonly EquityPoint[],
  flows: readonly CashFlow[],
  froms: readonly Instant[],
): { all: string; since: string[] } {
  const starts = froms.map((f, i) => toMs(f, `froms[${i}]`));
  const idx = growthIndex(series, flows);
  return { all: twrOf(idx), since: starts.map((t) => returnSinceOf(idx, t)) };
}

/**
 * Largest peak-to-trough fall, as a positive fraction of the peak. Measured on the growth
 * index, so a withdrawal is not a drawdown and a deposit does not hide one; with no flows
 * this is exactly the drawdown of the equity curve.
 */
export function maxDrawdown(
  series: readonly EquityPoint[],
  flows: readonly CashFlow[] = [],
): string {
  return maxDrawdownOf(growthIndex(series, flows));
}

function maxDrawdownOf(idx: GrowthIndex): string {
  // While the peak stands, the deepest fall from it is at the lowest index since it, so one
  // division per peak gives the same result as one per point (rounding is monotone).
  let peak: Decimal | null = null;
  let low = ZERO;
  let worst = ZERO;
  const fallFromPeak = () => {
    if (peak === null || !peak.gt(0)) return;
    const dd = peak.minus(low).div(peak);
    if (dd.gt(worst)) worst = dd;
  };
  for (const { index } of idx) {
    if (peak === null || index.gt(peak)) {
      fallFromPeak();
      peak = index;
      low = index;
    } else if (index.lt(low)) low = index;
  }
  fallFromPeak();
  return ratio(worst);
}

function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * Close-to-close daily returns: each UTC day's last snapshot against the previous day's
 * last snapshot, flows neutralised as in the TWR. The first day is the base and has no
 * return; days without a snapshot produce no entry (the move is booked on the next day
 * that has one), so weekends do not add zero returns that would dilute the volatility.
 */
export function dailyReturns(
  series: readonly EquityPoint[],
  flows: readonly CashFlow[] = [],
): DailyReturn[] {
  return dailyReturnsOf(growthIndex(series, flows));
}

function dailyReturnsOf(idx: GrowthIndex): DailyReturn[] {
  return dailyReturnValues(idx).map((r) => ({ date: utcDay(r.day * DAY_MS), value: fmt(r.value) }));
}

const DAY_MS = 86_400_000;

/** The daily returns as rounded decimals (what `ratio` would print), by UTC day number. */
function dailyReturnValues(idx: GrowthIndex): Array<{ day: number; value: Decimal }> {
  const closes = new Map<number, Decimal>();
  for (const p of idx) closes.set(Math.floor(p.t / DAY_MS), p.index);
  const out: Array<{ day: number; value: Decimal }> = [];
  let prev: Decimal | null = null;
  for (const [day, index] of closes) {
    if (prev !== null)
      out.push({
        day,
        value: (prev.isZero() ? ZERO : index.div(prev).minus(1)).toDecimalPlaces(RATIO_DP),
      });
    prev = index;
  }
  return out;
}

type ReturnInput = Decimal.Value | DailyReturn;

function returnValues(returns: readonly ReturnInput[]): Decimal[] {
  return returns.map((r, i) =>
    typeof r === "object" && r !== null && "value" in r && "date" in r
      ? parseDecimal(r.value, `returns[${i}].value`)
      : D(r as Decimal.Value),
  );
}

function meanAndStdev(xs: Decimal[]): { mean: Decimal; sd: Decimal } | null {
  if (xs.length < 2) return null;
  const mean = xs.reduce((a, x) => a.plus(x), ZERO).div(xs.length);
  const ss = xs.reduce((a, x) => {
    const d = x.minus(mean);
    return a.plus(d.times(d));
  }, ZERO);
  return { mean, sd: ss.div(xs.length - 1).sqrt() };
}

type ReturnStats = ReturnType<typeof meanAndStdev>;
const SQRT_YEAR = D(TRADING_DAYS_PER_YEAR).sqrt();

/** Sample standard deviation of daily returns × √252; "0" with fewer than two returns. */
export function annualizedVolatility(returns: readonly ReturnInput[]): string {
  return volatilityOf(meanAndStdev(returnValues(returns)));
}

function volatilityOf(s: ReturnStats): string {
  if (s === null) return "0";
  return ratio(s.sd.times(SQRT_YEAR));
}

/**
 * Annualized Sharpe ratio: (mean daily return − riskFree/252) / sample stdev × √252.
 * `riskFree` is an annual rate as a fraction. null when undefined (fewer than two
 * returns, or zero volatility) rather than a misleading infinity or zero.
 */
export function sharpe(
  returns: readonly ReturnInput[],
  riskFree: Decimal.Value = 0,
): string | null {
  return sharpeOf(meanAndStdev(returnValues(returns)), riskFree);
}

function sharpeOf(s: ReturnStats, riskFree: Decimal.Value): string | null {
  if (s === null || s.sd.isZero()) return null;
  const excess = s.mean.minus(D(riskFree).div(TRADING_DAYS_PER_YEAR));
  return ratio(excess.div(s.sd).times(SQRT_YEAR));
}

function tradePnls(trades: readonly ClosedTrade[]): Decimal[] {
  return trades.map((t, i) => parseDecimal(t.pnl, `trades[${i}].pnl`));
}

/** Share of closed trades with positive P&L (a break-even trade is not a win); null if none. */
export function winRate(trades: readonly ClosedTrade[]): string | null {
  const pnls = tradePnls(trades);
  if (pnls.length === 0) return null;
  return ratio(D(pnls.filter((p) => p.gt(0)).length).div(pnls.length));
}

/** Closed trades per week over a window of `days` days. */
export function tradeFrequency(trades: readonly ClosedTrade[], days: Decimal.Value): string {
  const d = D(days);
  if (!d.isFinite() || d.lte(0))
    throw new DomainError("INVALID_PERIOD", `days must be positive, got ${String(days)}`);
  return ratio(D(trades.length).div(d).times(7));
}

/** Mean time from open to close, in hours; null if there are no trades. */
export function averageHoldingHours(trades: readonly ClosedTrade[]): string | null {
  if (trades.length === 0) return null;
  let total = ZERO;
  trades.forEach((t, i) => {
    const held =
      toMs(t.closedAt, `trades[${i}].closedAt`) - toMs(t.openedAt, `trades[${i}].openedAt`);
    if (held < 0) throw new DomainError("INVALID_TRADE", `trades[${i}] closes before it opens`);
    total = total.plus(held);
  });
  return ratio(total.div(trades.length).div(3_600_000));
}

/** Share of closed trades per symbol (by count), largest first, ties by symbol. */
export function instrumentFocus(
  trades: readonly ClosedTrade[],
): Array<{ symbol: string; trades: number; share: string }> {
  const counts = new Map<string, number>();
  for (const t of trades) counts.set(t.symbol, (counts.get(t.symbol) ?? 0) + 1);
  return [...counts]
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0))
    .map(([symbol, n]) => ({ symbol, trades: n, share: ratio(D(n).div(trades.length)) }));
}

/** Upper bounds (exclusive) of annualized volatility for scores 1..9; anything higher is 10. */
export const RISK_SCORE_BANDS: readonly string[] = [
  "0.02",
  "0.05",
  "0.08",
  "0.12",
  "0.16",
  "0.20",
  "0.25",
  "0.30",
  "0.40",
];

/** 1 (calm) … 10 (wild) from the annualized volatility of daily returns, as a fraction. */
export function riskScore(annualizedVol: Decimal.Value): number {
  const v = D(annualizedVol);
  if (!v.isFinite() || v.isNeg()) {
    throw new DomainError(
      "INVALID_VOLATILITY",
      `volatility must be a non-negative number, got ${String(annualizedVol)}`,
    );
  }
  const band = RISK_SCORE_BANDS.findIndex((upper) => v.lt(upper));
  return band === -1 ? 10 : band + 1;
}

export interface PerformanceSummary {
  twr: string;
  maxDrawdown: string;
  volatility: string;
  sharpe: string | null;
  riskScore: number;
  winRate: string | null;
  tradesPerWeek: string | null;
  averageHoldingHours: string | null;
  instrumentFocus: Array<{ symbol: string; trades: number; share: string }>;
}

/**
 * Every metric at once, so a leader page, a follower page and a relationship page cannot
 * drift apart. Trade frequency uses the span of the equity series (null if it spans no time).
 */
export function performanceSummary(input: SummaryInput): PerformanceSummary {
  return summaryOf(input, growthIndex(input.series, input.flows ?? []));
}

export interface SummaryInput {
  series: readonly EquityPoint[];
  flows?: readonly CashFlow[];
  trades?: readonly ClosedTrade[];
  riskFree?: Decimal.Value;
}

/**
 * performanceSummary and returnsOverPeriods(froms) together, from one growth index (a
 * leader's stored statistics need both; the index is most of their cost).
 */
export function summaryAndReturnsSince(
  input: SummaryInput,
  froms: readonly Instant[],
): { summary: PerformanceSummary; since: string[] } {
  const starts = froms.map((f, i) => toMs(f, `froms[${i}]`));
  const idx = growthIndex(input.series, input.flows ?? []);
  return { summary: summaryOf(input, idx), since: starts.map((t) => returnSinceOf(idx, t)) };
}

function summaryOf(input: SummaryInput, idx: GrowthIndex): PerformanceSummary {
  const trades = input.trades ?? [];
  const stats = meanAndStdev(dailyReturnValues(idx).map((r) => r.value));
  const vol = volatilityOf(stats);
  // The index has one point per snapshot, in time order.
  const spanDays = idx.length < 2 ? ZERO : D(idx[idx.length - 1]!.t - idx[0]!.t).div(86_400_000);
  return {
    twr: twrOf(idx),
    maxDrawdown: maxDrawdownOf(idx),
    volatility: vol,
    sharpe: sharpeOf(stats, input.riskFree ?? 0),
    riskScore: riskScore(vol),
    winRate: winRate(trades),
    tradesPerWeek: spanDays.gt(0) ? tradeFrequency(trades, spanDays) : null,
    averageHoldingHours: averageHoldingHours(trades),
    instrumentFocus: instrumentFocus(trades),
  };
}
