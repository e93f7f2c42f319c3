import { Decimal } from "decimal.js";

/**
 * Display formatting only: values stay decimal strings everywhere else. One place decides
 * how money, percentages and quantities look, so every page shows currency and sign alike:
 * "+$1,234.56", "−$12.00", "+4.20 %", "—" for unknown.
 */
const MINUS = "\u2212";
const CCY_SYMBOL: Record<string, string> = { USD: "$", EUR: "€", GBP: "£" };

function group(intPart: string): string {
  return intPart.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

function fixed(v: Decimal.Value, dp: number): { neg: boolean; text: string } {
  const d = new Decimal(v).toDecimalPlaces(dp, Decimal.ROUND_HALF_EVEN);
  const neg = d.isNeg() && !d.isZero();
  const [i, f] = d.abs().toFixed(dp).split(".");
  return { neg, text: f ? `${group(i!)}.${f}` : group(i!) };
}

function valid(v: unknown): v is string {
  return typeof v === "string" && /^-?\d+(\.\d+)?$/.test(v);
}

/** Money with its currency. `sign`: show "+" on gains (P&L); otherwise only "−" on losses. */
export function money(
  v: string | null | undefined,
  ccy = "USD",
  opts: { sign?: boolean; dp?: number } = {},
): string {
  if (!valid(v)) return "—";
  const { neg, text } = fixed(v, opts.dp ?? 2);
  const sym = CCY_SYMBOL[ccy];
  const body = sym ? `${sym}${text}` : `${text} ${ccy}`;
  if (neg) return `${MINUS}${body}`;
  return opts.sign && !new Decimal(v).isZero() ? `+${body}` : body;
}

/** A fraction as a percentage: "0.1234" → "+12.34 %". */
export function pct(
  v: string | null | undefined,
  opts: { sign?: boolean; dp?: number } = {},
): string {
  if (!valid(v)) return "—";
  const p = new Decimal(v).times(100);
  const { neg, text } = fixed(p, opts.dp ?? 2);
  if (neg) return `${MINUS}${text} %`;
  return `${opts.sign !== false && !p.toDecimalPlaces(opts.dp ?? 2).isZero() ? "+" : ""}${text} %`;
}

/** A drawdown is a fall: shown as a negative percentage of the peak. */
export function drawdown(v: string | null | undefined): string {
  if (!valid(v)) return "—";
  return new Decimal(v).isZero() ? "0.00 %" : pct(new Decimal(v).neg().toFixed());
}

/** Quantities as recorded (no rounding), grouped, with an explicit sign when asked. */
export function qty(v: string | null | undefined, opts: { sign?: boolean } = {}): string {
  if (!valid(v)) return "—";
  const d = new Decimal(v);
  const [i, f] = d.abs().toFixed().split(".");
  const text = f ? `${group(i!)}.${f}` : group(i!);
  if (d.isNeg() && !d.isZero()) return `${MINUS}${text}`;
  return opts.sign && !d.isZero() ? `+${text}` : text;
}

export function num(v: string | null | undefined, dp = 2): string {
  if (!valid(v)) return "—";
  const { neg, text } = fixed(v, dp);
  return neg ? `${MINUS}${text}` : text;
}

export function signClass(v: string | null | undefined): string {
  if (!valid(v)) return "";
  const d = new Decimal(v);
  return d.isZero() ? "" : d.isNeg() ? "neg" : "pos";
}

export function dateTime(d: Date | string | null | undefined): string {
  if (!d) return "—";
  const x = typeof d === "string" ? new Date(d) : d;
  return x.toISOString().replace("T", " ").slice(0, 16) + " UTC";
}

export function day(d: Date | string | null | undefined): string {
  if (!d) return "—";
  return (typeof d === "string" ? d : d.toISOString()).slice(0, 10);
}

/** "12 s ago", "5 min ago", "3 h ago", "2 days ago". */
export function ago(d: Date | string | null | undefined, now: Date = new Date()): string {
  if (!d) return "never";
  const ms = now.getTime() - (typeof d === "string" ? new Date(d) : d).getTime();
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} days ago`;
}

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.round(ms / 60_000)} min`;
}

// Reason codes in words: one table for every page, in components/reason-words.ts.

export const STATUS_TEXT: Record<string, string> = {
  active: "Active",
  paused: "Paused",
  stopped: "Stopped",
};

/** Order states in plain words, the same on every page. */
export const ORDER_STATUS: Record<string, string> = {
  pending_submit: "Waiting to send",
  submitted: "Sent",
  accepted: "Working",
  partially_filled: "Partly filled",
  filled: "Filled",
  pending_cancel: "Cancelling",
  cancelled: "Cancelled",
  rejected: "Rejected",
  expired: "Expired",
  unknown: "Checking with broker",
};
