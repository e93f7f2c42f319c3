"use client";
import { Decimal } from "decimal.js";
import { useMemo, useState } from "react";
import { Area, AreaChart, Line, LineChart, Tooltip, XAxis, YAxis } from "recharts";
import {
  inRange,
  longDay,
  moneyAxis,
  niceTicks,
  pctAxis,
  RANGES,
  shortDay,
  type ChartPoint,
  type RangeKey,
  type RangeRow,
} from "./chart-scale";
import { AREA_STYLE, CHART_MARGIN, ChartFrame, chartGrid, LINE_STYLE } from "./chart-frame";
import { money, pct } from "./format";

export type { ChartPoint } from "./chart-scale";

function Tip({
  active,
  payload,
  render,
}: {
  active?: boolean;
  payload?: ReadonlyArray<{ payload?: unknown }>;
  render: (r: RangeRow) => string;
}) {
  const row = payload?.[0]?.payload as RangeRow | undefined;
  if (!active || !row) return null;
  return (
    <div className="chart-tip">
      <div className="muted">{longDay(row.day)}</div>
      <strong>{render(row)}</strong>
    </div>
  );
}

export const AXIS = { tick: { fontSize: 11 }, width: 64 } as const;

/** A Y axis on exactly the given ticks, from the first to the last (drawdown: up to 0). */
function yAxis(ticks: number[], format: (v: number) => string, top = ticks.at(-1)!) {
  return <YAxis {...AXIS} ticks={ticks} domain={[ticks[0]!, top]} tickFormatter={format} />;
}

/**
 * Growth in % (rebased to the chosen range), account value and drawdown. Numbers become
 * floats for plotting only; tooltips and captions format the decimal strings.
 */
export function PerformanceCharts({
  points,
  currency = "USD",
  title = "Equity",
}: {
  points: ChartPoint[];
  currency?: string;
  title?: string;
}) {
  const [range, setRange] = useState<RangeKey>("all");
  const data = useMemo(() => inRange(points, range), [points, range]);
  if (points.length < 2) {
    return (
      <p className="card muted" role="status">
        Not enough history for a chart yet: it appears after two daily snapshots.
      </p>
    );
  }
  const first = data[0];
  const last = data.at(-1);
  const span = (xs: number[]) => [Math.min(...xs), Math.max(...xs)] as const;
  const gTicks = niceTicks(...span(data.map((d) => d.g)));
  const eTicks = niceTicks(...span(data.map((d) => d.eq)));
  const dTicks = niceTicks(Math.min(0, ...data.map((d) => d.dd)), 0, 4);
  const xAxis = (
    <XAxis dataKey="day" minTickGap={48} tick={{ fontSize: 11 }} tickFormatter={shortDay} />
  );
  return (
    <div className="charts">
      <div className="row" role="group" aria-label="Chart range">
        {RANGES.map((r) => (
          <button
            key={r.key}
            type="button"
            className={range === r.key ? "range" : "range secondary"}
            aria-pressed={range === r.key}
            onClick={() => setRange(r.key)}
          >
            {r.label}
          </button>
        ))}
        {data.length < 2 && <span className="muted">Not enough history for this range.</span>}
      </div>
      <ChartFrame
        label="Growth chart"
        title="Growth"
        caption={
          <>
            {first && last && `${longDay(first.day)} to ${longDay(last.day)}: ${pct(last.growth)}`};
            deposits and withdrawals do not count as growth
          </>
        }
      >
        <LineChart data={data} margin={CHART_MARGIN}>
          {chartGrid}
          {xAxis}
          {yAxis(gTicks, pctAxis(gTicks))}
          <Tooltip content={<Tip render={(r) => pct(r.growth)} />} />
          <Line {...LINE_STYLE} dataKey="g" stroke="#1e5eff" />
        </LineChart>
      </ChartFrame>
      <ChartFrame
        label={`${title} chart`}
        title={title}
        caption={`now ${money(points.at(-1)!.equity, currency)}`}
        small
      >
        <AreaChart data={data} margin={CHART_MARGIN}>
          {chartGrid}
          {xAxis}
          {yAxis(eTicks, moneyAxis(eTicks, currency))}
          <Tooltip content={<Tip render={(r) => money(r.equity, currency)} />} />
          <Area {...AREA_STYLE} dataKey="eq" stroke="#1e5eff" fill="#dbe6ff" />
        </AreaChart>
      </ChartFrame>
      <ChartFrame
        label="Drawdown chart"
        title="Drawdown"
        caption="fall from the previous peak, cash flows excluded"
        small
      >
        <AreaChart data={data} margin={CHART_MARGIN}>
          {chartGrid}
          {xAxis}
          {yAxis(dTicks, pctAxis(dTicks, { plus: false }), 0)}
          <Tooltip
            content={
              <Tip
                render={(r) =>
                  new Decimal(r.drawdown).isZero()
                    ? "0.00 % (at a peak)"
                    : pct(new Decimal(r.drawdown).neg().toFixed())
                }
              />
            }
          />
          <Area {...AREA_STYLE} dataKey="dd" stroke="#c62828" fill="#fbdcdc" />
        </AreaChart>
      </ChartFrame>
    </div>
  );
}

/** A small growth line for discovery lists: no axes, labelled for screen readers. */
export function Sparkline({ points, label }: { points: string[]; label: string }) {
  if (points.length < 2) return <span className="muted">not enough data</span>;
  const ys = points.map(Number);
  const min = Math.min(...ys);
  const max = Math.max(...ys);
  const w = 96;
  const h = 28;
  const spread = max - min || 1;
  const line = ys
    .map(
      (y, i) =>
        `${((i / (ys.length - 1)) * w).toFixed(1)},${(h - 2 - ((y - min) / spread) * (h - 4)).toFixed(1)}`,
    )
    .join(" ");
  const up = ys.at(-1)! >= ys[0]!;
  return (
    <svg
      width={w}
      height={h}
      viewBox={`0 0 ${w} ${h}`}
      role="img"
      aria-label={label}
      className="sparkline"
    >
      <polyline
        points={line}
        fill="none"
        stroke={up ? "var(--good)" : "var(--bad)"}
        strokeWidth="1.5"
      />
    </svg>
  );
}
