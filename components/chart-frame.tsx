"use client";
import type { ReactElement, ReactNode } from "react";
import { CartesianGrid, ResponsiveContainer } from "recharts";

/**
 * The frame every time-series chart shares: a labelled figure, a caption (title in bold,
 * the figures in words beside it, so the numbers are readable without the picture) and a
 * box the chart fills at any width (390 px phones included).
 */
export function ChartFrame({
  label,
  title,
  caption,
  small = false,
  stack = false,
  after,
  children,
}: {
  label: string;
  title: string;
  caption: ReactNode;
  small?: boolean;
  /** Lays out what follows the chart (`after`) as a column. */
  stack?: boolean;
  /** Words under the chart, inside the figure (a list of the chart's parts, say). */
  after?: ReactNode;
  children: ReactElement;
}) {
  return (
    <figure className={stack ? "card chart stack" : "card chart"} aria-label={label}>
      <figcaption>
        <strong>{title}</strong> <span className="muted">{caption}</span>
      </figcaption>
      <div className={small ? "chart-box small" : "chart-box"}>
        <ResponsiveContainer width="100%" height="100%">
          {children}
        </ResponsiveContainer>
      </div>
      {after}
    </figure>
  );
}

/** The light dashed grid behind every chart. */
export const chartGrid = <CartesianGrid strokeDasharray="3 3" stroke="#e5e8ef" />;

/** The margins every chart leaves inside its box. */
export const CHART_MARGIN = { top: 8, right: 8, bottom: 0, left: 0 } as const;

/** How every series line is drawn: smooth, no dots, no animation (charts redraw on polling). */
export const LINE_STYLE = {
  type: "monotone",
  strokeWidth: 2,
  dot: false,
  isAnimationActive: false,
} as const;

/** The same for filled areas. */
export const AREA_STYLE = { type: "monotone", isAnimationActive: false } as const;
