import { D, fmt } from "./money";
import { returnsOverPeriods, timeWeightedReturn, type CashFlow, type EquityPoint } from "./metrics";

export type SnapshotRow = { day: string; equity: string; netFlow: string };

/** Equity snapshots as the metrics module takes them: one point per day, flows on their day. */
export function toSeries(rows: readonly SnapshotRow[]): {
  series: EquityPoint[];
  flows: CashFlow[];
} {
  return {
    series: rows.map((r) => ({ at: r.day, equity: r.equity })),
    flows: rows
      .filter((r) => !D(r.netFlow).isZero())
      .map((r) => ({ at: r.day, amount: r.netFlow })),
  };
}

export type ChartPoint = { day: string; equity: string; growth: string; drawdown: string };

/**
 * Points for the equity and drawdown charts. The growth index is chained from the metrics
 * module's own time-weighted return of each day against the day before (flows neutralised
 * exactly as there), and the drawdown is the fall of that index from its running peak — so
 * the deepest point of this chart is the `maxDrawdown` the page reports.
 */
export function chartSeries(rows: readonly SnapshotRow[]): ChartPoint[] {
  const out: ChartPoint[] = [];
  let index = D(1);
  let peak = D(1);
  rows.forEach((r, i) => {
    if (i > 0) {
      const prev = rows[i - 1]!;
      const flows = D(r.netFlow).isZero() ? [] : [{ at: r.day, amount: r.netFlow }];
      const step = timeWeightedReturn(
        [
          { at: prev.day, equity: prev.equity },
          { at: r.day, equity: r.equity },
        ],
        flows,
      );
      index = index.times(D(1).plus(step));
    }
    if (index.gt(peak)) peak = index;
    out.push({
      day: r.day,
      equity: r.equity,
      growth: fmt(index.minus(1).toDecimalPlaces(6)),
      drawdown: fmt(peak.isZero() ? 0 : peak.minus(index).div(peak).toDecimalPlaces(6)),
    });
  });
  return out;
}

export const PERIODS = [
  { key: "1m", label: "1 month", months: 1 },
  { key: "3m", label: "3 months", months: 3 },
  { key: "6m", label: "6 months", months: 6 },
  { key: "1y", label: "1 year", months: 12 },
] as const;
export type PeriodKey = (typeof PERIODS)[number]["key"] | "all";

function monthsBefore(day: string, months: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCMonth(d.getUTCMonth() - months);
  return d.toISOString().slice(0, 10);
}

/** Where each of PERIODS starts, counted back from the newest snapshot (none without one). */
export function periodStarts(rows: readonly SnapshotRow[]): string[] {
  const last = rows.at(-1)?.day;
  return last === undefined ? [] : PERIODS.map((p) => monthsBefore(last, p.months));
}

/**
 * Returns over trailing periods ending at the newest snapshot. `computed` is
 * returnsOverPeriods over periodStarts(rows), when the caller has it already. A period longer than the
 * history is null (shown as "not enough history"), never silently the all-time number.
 */
export function periodReturns(
  rows: readonly SnapshotRow[],
  computed?: { all: string; since: readonly string[] },
): Array<{
  key: PeriodKey;
  label: string;
  value: string | null;
}> {
  if (rows.length < 2) {
    return [
      ...PERIODS.map((p) => ({ key: p.key as PeriodKey, label: p.label, value: null })),
      { key: "all", label: "Since start", value: null },
    ];
  }
  const first = rows[0]!.day;
  const froms = periodStarts(rows);
  const r =
    computed ??
    (() => {
      const { series, flows } = toSeries(rows);
      return returnsOverPeriods(series, flows, froms);
    })();
  return [
    ...PERIODS.map((p, i) => ({
      key: p.key as PeriodKey,
      label: p.label,
      value: froms[i]! < first ? null : r.since[i]!,
    })),
    { key: "all", label: "Since start", value: r.all },
  ];
}

/** Calendar-month returns: each month's last snapshot against the previous month's last. */
export function monthlyReturns(
  rows: readonly SnapshotRow[],
): Array<{ month: string; value: string }> {
  const out: Array<{ month: string; value: string }> = [];
  if (rows.length < 2) return out;
  const { flows } = toSeries(rows);
  let baseIdx = 0;
  for (let i = 1; i < rows.length; i++) {
    const month = rows[i]!.day.slice(0, 7);
    const endOfMonth = i === rows.length - 1 || rows[i + 1]!.day.slice(0, 7) !== month;
    if (!endOfMonth) continue;
    const slice = rows.slice(baseIdx, i + 1).map((r) => ({ at: r.day, equity: r.equity }));
    const from = rows[baseIdx]!.day;
    const to = rows[i]!.day;
    out.push({
      month,
      value: timeWeightedReturn(
        slice,
        flows.filter((f) => String(f.at) > from && String(f.at) <= to),
      ),
    });
    baseIdx = i;
  }
  return out;
}
