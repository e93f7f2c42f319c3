"use client";
import { Decimal } from "decimal.js";
import { Legend, Line, LineChart, Tooltip, XAxis, YAxis } from "recharts";
import { CHART_MARGIN, ChartFrame, chartGrid, LINE_STYLE } from "./chart-frame";
import { longDay, niceTicks, pctAxis, shortDay } from "./chart-scale";
import { AXIS } from "./charts";
import { pct } from "./format";

export type GrowthPoint = { day: string; you: string; leader: string };

type Row = GrowthPoint & { y: number; l: number };

function Tip({
  active,
  payload,
}: {
  active?: boolean;
  payload?: ReadonlyArray<{ payload?: unknown }>;
}) {
  const row = payload?.[0]?.payload as Row | undefined;
  if (!active || !row) return null;
  return (
    <div className="chart-tip">
      <div className="muted">{longDay(row.day)}</div>
      <div>
        You <strong>{pct(row.you)}</strong>
      </div>
      <div>
        Leader <strong>{pct(row.leader)}</strong>
      </div>
    </div>
  );
}

/**
 * "You vs the leader" from the day the copy started: both as growth in %. The decimal
 * strings become floats for plotting only; the caption and the tooltip format the strings.
 */
export function GrowthVsLeader({
  points,
  title = "You vs the leader",
}: {
  points: GrowthPoint[];
  title?: string;
}) {
  if (points.length < 2)
    return (
      <p className="card muted" role="status">
        The growth chart appears after the copy&apos;s first day.
      </p>
    );
  const data: Row[] = points.map((p) => ({
    ...p,
    y: new Decimal(p.you).times(100).toNumber(),
    l: new Decimal(p.leader).times(100).toNumber(),
  }));
  const all = data.flatMap((d) => [d.y, d.l]);
  const ticks = niceTicks(Math.min(...all), Math.max(...all));
  const last = points.at(-1)!;
  return (
    <ChartFrame
      label="You vs the leader chart"
      title={title}
      caption={`since ${points[0]!.day}: you ${pct(last.you)}, the leader ${pct(last.leader)}`}
    >
      <LineChart data={data} margin={CHART_MARGIN}>
        {chartGrid}
        <XAxis dataKey="day" minTickGap={48} tick={{ fontSize: 11 }} tickFormatter={shortDay} />
        <YAxis
          {...AXIS}
          ticks={ticks}
          domain={[ticks[0]!, ticks.at(-1)!]}
          tickFormatter={pctAxis(ticks)}
        />
        <Tooltip content={<Tip />} />
        <Legend />
        <Line {...LINE_STYLE} name="You" dataKey="y" stroke="#1e5eff" />
        <Line {...LINE_STYLE} name="Leader" dataKey="l" stroke="#8a8f9c" />
      </LineChart>
    </ChartFrame>
  );
}
