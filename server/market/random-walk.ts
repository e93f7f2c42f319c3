import type { TradingHours } from "../../db/schema/instruments";
import type { Rng } from "../domain/random";
import { weeklyOpenMinutes } from "./hours";
import type { TickGrid } from "./ticks";

/** Standard normal variate (Box–Muller). Always consumes exactly two draws, so streams stay aligned. */
export function gaussian(rng: Rng): number {
  const u1 = 1 - rng.next(); // (0, 1]: log(0) would be -Infinity
  const u2 = rng.next();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** Milliseconds of trading in a year (52 weeks of the instrument's sessions). */
export function tradingYearMs(hours: TradingHours): number {
  return weeklyOpenMinutes(hours) * 52 * 60_000;
}

/** One geometric Brownian step of `dtYears` (trading time), zero drift in the log of price's expectation. */
export function gbmStep(price: number, annualVol: number, dtYears: number, z: number): number {
  if (dtYears <= 0) return price;
  return (
    price * Math.exp(-0.5 * annualVol * annualVol * dtYears + annualVol * Math.sqrt(dtYears) * z)
  );
}

/**
 * Bid and ask around a float mid, on the tick: the spread is `spreadBps` of mid rounded to
 * whole ticks and never less than one, so bid < ask always and bid is at least one tick.
 */
export function quoteAround(
  mid: number,
  spreadBps: number,
  grid: TickGrid,
): { bid: string; ask: string } {
  const spreadTicks = Math.max(1, grid.toSteps((mid * spreadBps) / 10_000, "nearest"));
  const midTicks = mid / grid.toFloat(1);
  const bidTicks = Math.max(1, Math.round(midTicks - spreadTicks / 2));
  return { bid: grid.format(bidTicks), ask: grid.format(bidTicks + spreadTicks) };
}
