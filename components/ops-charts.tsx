"use client";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Line, LineChart, ReferenceLine, Tooltip, XAxis, YAxis } from "recharts";
import { CHART_MARGIN, ChartFrame, chartGrid, LINE_STYLE } from "./chart-frame";
import { useTRPC } from "./trpc";

type Range = "hour" | "day";
type Series = { key: string; name: string; color: string };

const AXIS = { tick: { fontSize: 11 }, stroke: "#8a93a6" } as const;

/**
 * The Operations page's charts (ADR 0046): every worker's per-minute samples added up, the
 * last hour by minute or the day by 15 minutes, refreshed every 15 s. Where a breaker opens
 * by itself its threshold is drawn as a dashed line, so "how close are we" is visible.
 */
export function OpsCharts() {
  const trpc = useTRPC();
  const [range, setRange] = useState<Range>("hour");
  const q = useQuery({
    ...trpc.ops.series.queryOptions({ range }),
    refetchInterval: 15_000,
  });
  const d = q.data;
  const data = (d?.series ?? []).map((p) => ({
    ...p,
    t: new Date(p.at).toISOString().slice(11, 16),
  }));
  return (
    <section aria-labelledby="ops-charts-h">
      <div className="toolbar" role="group" aria-label="Time range">
        <h2 id="ops-charts-h" style={{ marginRight: "auto" }}>
          {range === "hour"
            ? "Last hour, per minute"
            : "Last day, per 15 minutes (per-minute rates)"}
        </h2>
        {(["hour", "day"] as const).map((r) => (
          <button
            key={r}
            type="button"
            className={r === range ? "" : "secondary"}
            aria-pressed={r === range}
            onClick={() => setRange(r)}
          >
            {r === "hour" ? "Hour" : "Day"}
          </button>
        ))}
      </div>
      {q.isError && (
        <p className="form-error" role="alert">
          The series could not be loaded. Try again in a moment.
        </p>
      )}
      {d && (
        <div className="charts">
          <Chart
            title="Order submissions per minute"
            note={`Failures (transient, rate-limited, unknown) at one broker above ${d.thresholds.brokerFailuresPerMinute} a minute open its breaker.`}
            data={data}
            series={[
              { key: "submitted", name: "sent (filled, accepted, rejected)", color: "#1e5eff" },
              { key: "failed", name: "failed", color: "#c62828" },
            ]}
            threshold={{ value: d.thresholds.brokerFailuresPerMinute, label: "broker breaker" }}
          />
          <Chart
            title="Replication lag and submit → fill (ms)"
            note="Leader fill to follower order, average and worst; order sent to filled, average."
            data={data}
            series={[
              { key: "lagMsAvg", name: "lag, average", color: "#1e5eff" },
              { key: "lagMsMax", name: "lag, worst", color: "#7b1fa2" },
              { key: "submitToFillMsAvg", name: "submit → fill", color: "#2e7d32" },
            ]}
          />
          <Chart
            title="Busiest leader's fills per minute"
            note={`More than ${d.thresholds.leaderFillsPerMinute} fills in a minute opens that leader's breaker.`}
            data={data}
            series={[{ key: "leaderFillsMax", name: "fills, busiest leader", color: "#1e5eff" }]}
            threshold={{ value: d.thresholds.leaderFillsPerMinute, label: "leader breaker" }}
          />
          <Chart
            title="Risk refusals and reconciliation mismatches per minute"
            data={data}
            series={[
              { key: "refusals", name: "risk refusals", color: "#ef6c00" },
              { key: "mismatches", name: "reconciliation mismatches", color: "#c62828" },
            ]}
          />
          <Chart
            title="Send queue and open breakers"
            note="Orders waiting to be sent, and circuit breakers open, as the workers saw them."
            data={data}
            series={[
              { key: "queueDepth", name: "orders waiting", color: "#1e5eff" },
              { key: "breakersOpen", name: "breakers open", color: "#c62828" },
            ]}
          />
        </div>
      )}
    </section>
  );
}

function Chart(props: {
  title: string;
  note?: string;
  data: Array<Record<string, unknown>>;
  series: Series[];
  threshold?: { value: number; label: string };
}) {
  return (
    <ChartFrame label={`${props.title} chart`} title={props.title} caption={props.note} small>
      <LineChart data={props.data} margin={CHART_MARGIN}>
        {chartGrid}
        <XAxis dataKey="t" {...AXIS} minTickGap={24} />
        <YAxis {...AXIS} width={40} allowDecimals />
        <Tooltip />
        {props.threshold && (
          <ReferenceLine
            y={props.threshold.value}
            stroke="#c62828"
            strokeDasharray="6 4"
            label={{ value: props.threshold.label, fontSize: 11, position: "insideTopRight" }}
            ifOverflow="extendDomain"
          />
        )}
        {props.series.map((s) => (
          <Line
            {...LINE_STYLE}
            key={s.key}
            dataKey={s.key}
            name={s.name}
            stroke={s.color}
            connectNulls
          />
        ))}
      </LineChart>
    </ChartFrame>
  );
}
