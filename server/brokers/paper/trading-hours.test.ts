import { describe, expect, it } from "vitest";
import { isMarketOpen } from "./trading-hours";

const ny = {
  timeZone: "America/New_York",
  sessions: [{ days: [1, 2, 3, 4, 5], open: "09:30", close: "16:00" }],
};
// CME-style: Sunday 18:00 to Friday 17:00 with a daily break, written as overnight sessions.
const cme = {
  timeZone: "America/Chicago",
  sessions: [{ days: [0, 1, 2, 3, 4], open: "17:00", close: "16:00" }],
};

describe("isMarketOpen", () => {
  it("empty sessions are 24/7", () => {
    expect(isMarketOpen({ timeZone: "UTC", sessions: [] }, new Date("2026-01-04T03:00:00Z"))).toBe(
      true,
    );
  });
  it("uses the exchange time zone, open inclusive, close exclusive", () => {
    expect(isMarketOpen(ny, new Date("2026-01-05T14:29:59Z"))).toBe(false); // Mon 09:29:59
    expect(isMarketOpen(ny, new Date("2026-01-05T14:30:00Z"))).toBe(true);
    expect(isMarketOpen(ny, new Date("2026-01-05T20:59:00Z"))).toBe(true);
    expect(isMarketOpen(ny, new Date("2026-01-05T21:00:00Z"))).toBe(false); // 16:00
    expect(isMarketOpen(ny, new Date("2026-01-10T15:00:00Z"))).toBe(false); // Saturday
    // Summer time: 09:30 EDT is 13:30 UTC.
    expect(isMarketOpen(ny, new Date("2026-07-06T13:30:00Z"))).toBe(true);
  });
  it("a session closing before it opens runs past midnight and belongs to its opening day", () => {
    expect(isMarketOpen(cme, new Date("2026-01-04T23:30:00Z"))).toBe(true); // Sun 17:30 CST
    expect(isMarketOpen(cme, new Date("2026-01-05T21:30:00Z"))).toBe(true); // Mon 15:30, Sunday's session
    expect(isMarketOpen(cme, new Date("2026-01-05T22:30:00Z"))).toBe(false); // Mon 16:30, the daily break
    expect(isMarketOpen(cme, new Date("2026-01-09T16:00:00Z"))).toBe(true); // Fri 10:00, Thursday's session
    expect(isMarketOpen(cme, new Date("2026-01-09T23:30:00Z"))).toBe(false); // Fri 17:30: no Friday session
  });
  it("accepts 7 as Sunday", () => {
    const sunday = { timeZone: "UTC", sessions: [{ days: [7], open: "00:00", close: "12:00" }] };
    expect(isMarketOpen(sunday, new Date("2026-01-04T06:00:00Z"))).toBe(true);
    expect(isMarketOpen(sunday, new Date("2026-01-05T06:00:00Z"))).toBe(false);
  });
});
