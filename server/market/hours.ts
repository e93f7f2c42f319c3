import { DomainError } from "../domain/money";
import type { TradingHours } from "../../db/schema/instruments";

/**
 * Trading-hours semantics (the `tradingHours` jsonb of an instrument):
 * - times are wall-clock times in `timeZone`, so DST is handled by the zone, not by us;
 * - a session listed under day `d` (0 = Sunday … 6 = Saturday) OPENS on day `d`;
 * - `open < close`: same day, [open, close); `close` may be "24:00" for end of day;
 * - `close < open`: an overnight session, open on day `d` until `close` on day `d + 1`
 *   (CME futures: opens Sunday 17:00 CT, closes Monday 16:00 CT);
 * - no sessions at all: 24/7.
 * Exchange holidays are not modelled.
 */

type CompiledSession = { days: boolean[]; open: number; close: number; overnight: boolean };
type Compiled = { timeZone: string; sessions: CompiledSession[]; always: boolean };

const compiledCache = new WeakMap<TradingHours, Compiled>();

function parseClock(value: unknown, what: string, allow24: boolean): number {
  const m = typeof value === "string" ? /^(\d{2}):(\d{2})$/.exec(value) : null;
  const h = m ? Number(m[1]) : NaN;
  const min = m ? Number(m[2]) : NaN;
  const total = h * 60 + min;
  if (!m || min > 59 || h > 24 || total > 1440 || (total === 1440 && !allow24)) {
    throw new DomainError(
      "INVALID_TRADING_HOURS",
      `${what} must be "HH:MM"${allow24 ? ' (up to "24:00")' : ""}, got ${JSON.stringify(value)}`,
    );
  }
  return total;
}

/** Validates and pre-parses trading hours; throws a clear error on a malformed definition. */
export function compileTradingHours(hours: TradingHours): Compiled {
  const cached = compiledCache.get(hours);
  if (cached) return cached;
  if (!hours || typeof hours.timeZone !== "string") {
    throw new DomainError("INVALID_TRADING_HOURS", "trading hours need a timeZone");
  }
  formatterFor(hours.timeZone); // validates the zone
  const sessions = (hours.sessions ?? []).map((s, i): CompiledSession => {
    const open = parseClock(s.open, `sessions[${i}].open`, false);
    const close = parseClock(s.close, `sessions[${i}].close`, true);
    if (open === close) {
      throw new DomainError(
        "INVALID_TRADING_HOURS",
        `sessions[${i}] opens and closes at the same time ${s.open}; use "00:00"–"24:00" for a full day`,
      );
    }
    const days = Array<boolean>(7).fill(false);
    for (const d of s.days) {
      if (!Number.isInteger(d) || d < 0 || d > 6) {
        throw new DomainError(
          "INVALID_TRADING_HOURS",
          `sessions[${i}].days must hold 0 (Sunday) … 6 (Saturday), got ${d}`,
        );
      }
      days[d] = true;
    }
    return { days, open, close, overnight: close < open };
  });
  const compiled = { timeZone: hours.timeZone, sessions, always: sessions.length === 0 };
  compiledCache.set(hours, compiled);
  return compiled;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat("en-US", {
        timeZone,
        hourCycle: "h23",
        year: "numeric",
        month: "numeric",
        day: "numeric",
        hour: "numeric",
        minute: "numeric",
        second: "numeric",
      });
    } catch {
      throw new DomainError(
        "INVALID_TRADING_HOURS",
        `unknown time zone ${JSON.stringify(timeZone)}`,
      );
    }
    formatters.set(timeZone, f);
  }
  return f;
}

// UTC offsets only change at transitions, a couple of times a year, always on a quarter-hour
// boundary. Formatting a date in a zone costs ~20 µs, so the offset is cached per UTC day
// (when the day starts and ends with the same offset, it holds all day) and per quarter hour
// on the rare transition days. A backfill makes hundreds of thousands of checks.
const QUARTER_MS = 15 * 60_000;
const DAY_MS = 86_400_000;
const offsetCaches = new Map<string, Map<number, number | null>>();

function rawOffsetMs(timeZone: string, at: number): number {
  const parts: Record<string, number> = {};
  for (const p of formatterFor(timeZone).formatToParts(new Date(at))) {
    if (p.type !== "literal") parts[p.type] = Number(p.value);
  }
  return (
    Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!) -
    at
  );
}

/** Keys: a UTC day index (>= 0 side) or the negated quarter index minus one, in one map per zone. */
function offsetMs(timeZone: string, ms: number): number {
  let cache = offsetCaches.get(timeZone);
  if (!cache) offsetCaches.set(timeZone, (cache = new Map()));
  if (cache.size > 50_000) cache.clear(); // bounded for a long-running feed
  const day = Math.floor(ms / DAY_MS);
  let whole = cache.get(day);
  if (whole === undefined) {
    const a = rawOffsetMs(timeZone, day * DAY_MS);
    whole = a === rawOffsetMs(timeZone, (day + 1) * DAY_MS) ? a : null;
    cache.set(day, whole);
  }
  if (whole !== null) return whole;
  const qKey = -1 - Math.floor(ms / QUARTER_MS);
  let q = cache.get(qKey);
  if (q === undefined || q === null) {
    q = rawOffsetMs(timeZone, Math.floor(ms / QUARTER_MS) * QUARTER_MS);
    cache.set(qKey, q);
  }
  return q;
}

/** Weekday (0 = Sunday) and minute of day of `at` on the wall clock of `timeZone`. */
export function localWallClock(timeZone: string, at: Date): { weekday: number; minute: number } {
  const local = at.getTime() + offsetMs(timeZone, at.getTime());
  const day = Math.floor(local / DAY_MS);
  // 1970-01-01 was a Thursday (4).
  return {
    weekday: (((day + 4) % 7) + 7) % 7,
    minute: Math.floor((local - day * DAY_MS) / 60_000),
  };
}

/** Is the instrument's market open at `at`? Pure: depends on nothing but its arguments. */
export function isMarketOpen(instrument: { tradingHours: TradingHours }, at: Date): boolean {
  const c = compileTradingHours(instrument.tradingHours);
  if (c.always) return true;
  const { weekday, minute } = localWallClock(c.timeZone, at);
  const yesterday = (weekday + 6) % 7;
  for (const s of c.sessions) {
    if (s.overnight) {
      if ((s.days[weekday] && minute >= s.open) || (s.days[yesterday] && minute < s.close))
        return true;
    } else if (s.days[weekday] && minute >= s.open && minute < s.close) {
      return true;
    }
  }
  return false;
}

/**
 * Open minutes in a week. The simulator measures volatility in trading time, so a
 * year of trading is 52 of these weeks (equities: 52 × 5 × 6.5 h; crypto: 52 × 7 × 24 h).
 */
export function weeklyOpenMinutes(hours: TradingHours): number {
  const c = compileTradingHours(hours);
  if (c.always) return 7 * 1440;
  let total = 0;
  for (const s of c.sessions) {
    const len = s.overnight ? 1440 - s.open + s.close : s.close - s.open;
    total += len * s.days.filter(Boolean).length;
  }
  return Math.min(total, 7 * 1440);
}
