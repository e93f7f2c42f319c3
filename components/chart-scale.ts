import { Decimal } from "decimal.js";

/**
 * Axis arithmetic for the charts, kept apart from Recharts so it can be tested: round tick
 * values, labels with a real minus sign (U+2212) and just enough decimals that neighbouring
 * ticks differ ("$60.1k, $60.2k", never "60k" five times), and ranges rebased to their start.
 */
export type ChartPoint = { day: string; equity: string; growth: string; drawdown: string };

const MINUS = "\u2212";
const SYMBOL: Record<string, string> = { USD: "$", EUR: "€", GBP: "£" };

export const RANGES = [
  { key: "1m", label: "1M", months: 1 },
  { key: "3m", label: "3M", months: 3 },
  { key: "1y", label: "1Y", months: 12 },
  { key: "all", label: "All", months: null },
] as const;
export type RangeKey = (typeof RANGES)[number]["key"];

/** Round numbers 1, 2, 2.5 or 5 × 10^k apart, covering [min, max]; a flat line gets a band. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  let lo = min;
  let hi = max;
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0];
  if (hi - lo < Math.max(Math.abs(hi), 1) * 1e-9) {
    const pad = Math.max(Math.abs(hi) * 0.001, 0.01);
    lo -= pad;
    hi += pad;
  }
  const raw = (hi - lo) / Math.max(1, count - 1);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw * (1 - 1e-9))!;
  const ticks: number[] = [];
  let v = Math.floor(lo / step + 1e-9) * step;
  while (v < hi - step * 1e-9) {
    ticks.push(Number(v.toPrecision(12)) || 0);
    v += step;
  }
  ticks.push(Number(v.toPrecision(12)) || 0);
  return ticks;
}

/** Decimals that make ticks `step` apart (in units of `scale`) read differently. */
export function decimalsFor(ticks: number[], scale = 1): number {
  if (ticks.length < 2) return 0;
  const step = Math.abs(ticks[1]! - ticks[0]!) / scale;
  let d = 0;
  while (d < 6 && Math.abs(Math.round(step * 10 ** d) - step * 10 ** d) > 1e-6) d++;
  return d;
}

/** Percent axis labels: "−1.5 %", "0 %", "+2 %". */
export function pctAxis(ticks: number[], opts: { plus?: boolean } = {}) {
  const dec = decimalsFor(ticks);
  return (v: number) => {
    const r = Number(v.toFixed(dec));
    if (r === 0) return "0 %";
    const sign = r < 0 ? MINUS : opts.plus === false ? "" : "+";
    return `${sign}${Math.abs(r).toFixed(dec)} %`;
  };
}

/** Currency axis labels: "$60.1k" above 10 000, "$950.50" below; "−$2.5k" for losses. */
export function moneyAxis(ticks: number[], currency = "USD") {
  const big = Math.max(...ticks.map(Math.abs)) >= 10_000;
  const dec = big ? decimalsFor(ticks, 1000) : Math.min(2, decimalsFor(ticks));
  const sym = SYMBOL[currency];
  return (v: number) => {
    const abs = Math.abs(v);
    const body = big ? `${(abs / 1000).toFixed(dec)}k` : abs.toFixed(dec);
    const sign = v < 0 && Number(body.replace("k", "")) !== 0 ? MINUS : "";
    return sym ? `${sign}${sym}${body}` : `${sign}${body} ${currency}`;
  };
}

function monthsBefore(day: string, months: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCMonth(d.getUTCMonth() - months);
  return d.toISOString().slice(0, 10);
}

/** The points of a range with growth and drawdown rebased to its first day (exact decimals). */
export function inRange(points: readonly ChartPoint[], range: RangeKey) {
  const r = RANGES.find((x) => x.key === range)!;
  const last = points.at(-1);
  if (!last) return [];
  const from = r.months === null ? points[0]!.day : monthsBefore(last.day, r.months);
  const slice = points.filter((p) => p.day >= from);
  if (slice.length === 0) return [];
  const base = new Decimal(1).plus(slice[0]!.growth);
  let peak = new Decimal(1);
  return slice.map((p) => {
    const idx = new Decimal(1).plus(p.growth).div(base);
    if (idx.gt(peak)) peak = idx;
    const growth = idx.minus(1);
    const dd = peak.minus(idx).div(peak);
    return {
      day: p.day,
      equity: p.equity,
      growth: growth.toDecimalPlaces(6).toFixed(),
      drawdown: dd.toDecimalPlaces(6).toFixed(),
      g: growth.times(100).toNumber(),
      dd: dd.neg().times(100).toNumber(),
      eq: Number(p.equity),
    };
  });
}
export type RangeRow = ReturnType<typeof inRange>[number];

/** "20 Nov 2026" — chart days are calendar days (UTC), the same for every viewer. */
export function longDay(day: string): string {
  return new Date(`${day}T00:00:00Z`).toLocaleDateString("en-GB", {
    day: "numeric",
    month: "short",
    year: "numeric",
    timeZone: "UTC",
  });
}

export function shortDay(day: string): string {
  return new Date(`${day}T00:00:00Z`).toLocaleDateString("en-GB", {
    day: "numeric",
    month: "short",
    timeZone: "UTC",
  });
}
