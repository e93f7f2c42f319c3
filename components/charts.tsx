"use client";
import {
  Area,
  AreaChart,
  CartesianGrid,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";
import { drawdown as fmtDrawdown, money } from "./format";

export type ChartPoint = { day: string; equity: string; growth: string; drawdown: string };

/**
 * Equity and drawdown charts. Numbers become floats here for plotting only; the labels
 * and tooltips format the original decimal strings.
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
  if (points.length < 2) {
    return (
      <p className="card muted" role="status">
        Not enough history for a chart yet: it appears after two daily snapshots.
      </p>
    );
  }
  const data = points.map((p) => ({
    day: p.day,
    equity: Number(p.equity),
    dd: -Number(p.drawdown) * 100,
    raw: p,
  }));
  const last = points[points.length - 1]!;
  return (
    <div className="charts">
      <figure className="card chart" aria-label={`${title} chart`}>
        <figcaption>
          <strong>{title}</strong>{" "}
          <span className="muted">
            {points[0]!.day} to {last.day}, now {money(last.equity, currency)}
          </span>
        </figcaption>
        <div className="chart-box">
          <ResponsiveContainer width="100%" height="100%">
            <AreaChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
              <CartesianGrid strokeDasharray="3 3" stroke="#e5e8ef" />
              <XAxis dataKey="day" minTickGap={40} tick={{ fontSize: 11 }} />
              <YAxis
                domain={["auto", "auto"]}
                width={64}
                tick={{ fontSize: 11 }}
                tickFormatter={(v: number) => `${(v / 1000).toFixed(0)}k`}
              />
              <Tooltip
                formatter={(_v, _n, item) => [
                  money((item.payload as { raw: ChartPoint }).raw.equity, currency),
                  "Equity",
                ]}
              />
              <Area
                type="monotone"
                dataKey="equity"
                stroke="#1e5eff"
                fill="#dbe6ff"
                isAnimationActive={false}
              />
            </AreaChart>
          </ResponsiveContainer>
        </div>
      </figure>
      <figure className="card chart" aria-label="Drawdown chart">
        <figcaption>
          <strong>Drawdown</strong>{" "}
          <span className="muted">fall from the previous peak, cash flows excluded</span>
        </figcaption>
        <div className="chart-box small">
          <ResponsiveContainer width="100%" height="100%">
            <AreaChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
              <CartesianGrid strokeDasharray="3 3" stroke="#e5e8ef" />
              <XAxis dataKey="day" minTickGap={40} tick={{ fontSize: 11 }} />
              <YAxis
                width={64}
                tick={{ fontSize: 11 }}
                tickFormatter={(v: number) => `${v.toFixed(0)} %`}
              />
              <Tooltip
                formatter={(_v, _n, item) => [
                  fmtDrawdown((item.payload as { raw: ChartPoint }).raw.drawdown),
                  "Drawdown",
                ]}
              />
              <Area
                type="monotone"
                dataKey="dd"
                stroke="#c62828"
                fill="#fbdcdc"
                isAnimationActive={false}
              />
            </AreaChart>
          </ResponsiveContainer>
        </div>
      </figure>
    </div>
  );
}
