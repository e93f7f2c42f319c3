import type { TradingHours } from "../../../db/schema/instruments";

/**
 * Is the market open at `at`? Sessions are weekly windows in the instrument's time zone.
 * `days` accepts both conventions for Sunday (0 as in Date#getDay, 7 as in ISO 8601);
 * Monday..Saturday are 1..6 in both. A session whose close is not after its open runs
 * past midnight (e.g. futures 18:00–17:00): it belongs to the day it opens. Empty
 * `sessions` = 24/7.
 */
export function isMarketOpen(hours: TradingHours | null | undefined, at: Date): boolean {
  if (!hours || hours.sessions.length === 0) return true;
  const { weekday, minutes } = localTime(hours.timeZone || "UTC", at);
  const yesterday = weekday === 0 ? 6 : weekday - 1;
  for (const s of hours.sessions) {
    const open = hhmm(s.open);
    const close = hhmm(s.close);
    const days = new Set(s.days.map((d) => d % 7));
    if (close > open) {
      if (days.has(weekday) && minutes >= open && minutes < close) return true;
    } else {
      if (days.has(weekday) && minutes >= open) return true;
      if (days.has(yesterday) && minutes < close) return true;
    }
  }
  return false;
}

function hhmm(s: string): number {
  const m = /^(\d{1,2}):(\d{2})$/.exec(s);
  if (!m) throw new Error(`bad session time ${JSON.stringify(s)} (want HH:MM)`);
  return Number(m[1]) * 60 + Number(m[2]);
}

const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };
const formatters = new Map<string, Intl.DateTimeFormat>();

function localTime(timeZone: string, at: Date): { weekday: number; minutes: number } {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      weekday: "short",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    });
    formatters.set(timeZone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(at).map((p) => [p.type, p.value]));
  return {
    weekday: WEEKDAYS[parts.weekday ?? ""] ?? 0,
    minutes: Number(parts.hour) * 60 + Number(parts.minute),
  };
}
