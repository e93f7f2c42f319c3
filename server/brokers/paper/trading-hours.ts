import type { TradingHours } from "../../../db/schema/instruments";
import { isMarketOpen as instrumentIsOpen } from "../../market/hours";

/**
 * Is the market open at `at`? One implementation for the whole platform: the market
 * module's (time zones, daylight saving, overnight sessions, "24:00"). The broker also
 * accepts 7 for Sunday (ISO 8601) besides 0. Empty or missing `sessions` = 24/7.
 */
export function isMarketOpen(hours: TradingHours | null | undefined, at: Date): boolean {
  if (!hours || hours.sessions.length === 0) return true;
  return instrumentIsOpen({ tradingHours: normalized(hours) }, at);
}

const cache = new WeakMap<TradingHours, TradingHours>();
function normalized(hours: TradingHours): TradingHours {
  let n = cache.get(hours);
  if (!n) {
    n = {
      ...hours,
      sessions: hours.sessions.map((s) => ({ ...s, days: s.days.map((d) => d % 7) })),
    };
    cache.set(hours, n);
  }
  return n;
}
