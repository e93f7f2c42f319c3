"use client";
import {
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";
import { shortDay } from "./chart-scale";
import { pct } from "./format";

export type GrowthPoint = { day: string; you: string; leader: string };

/**
 * "You vs the leader" from the day the copy started: both as growth in %. The decimal
 * strings become floats for plotting only; the caption formats the strings.
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
  const data = points.map((p) => ({
    day: p.day,
    you: Number(p.you) * 100,
    leader: Number(p.leader) * 100,
  }));
  const last = points.at(-1)!;
  return (
    <figure className="card chart" aria-label="You vs the leader chart">
      <figcaption>
        <strong>{title}</strong>{" "}
        <span className="muted">
          since {points[0]!.day}: you {pct(last.you)}, the leader {pct(last.leader)}
        </span>
      </figcaption>
      <div className="chart-box">
        <ResponsiveContainer width="100%" height="100%">
          <LineChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="#e5e8ef" />
            <XAxis dataKey="day" minTickGap={48} tick={{ fontSize: 11 }} tickFormatter={shortDay} />
            <YAxis
              tick={{ fontSize: 11 }}
              width={56}
              tickFormatter={(v: number) => `${v.toFixed(1)} %`}
            />
            <Tooltip formatter={(v) => `${Number(v).toFixed(2)} %`} />
            <Legend />
            <Line
              name="You"
              type="monotone"
              dataKey="you"
              stroke="#1e5eff"
              strokeWidth={2}
              dot={false}
              isAnimationActive={false}
            />
            <Line
              name="Leader"
              type="monotone"
              dataKey="leader"
              stroke="#8a8f9c"
              strokeWidth={2}
              dot={false}
              isAnimationActive={false}
            />
          </LineChart>
        </ResponsiveContainer>
      </div>
    </figure>
  );
}
