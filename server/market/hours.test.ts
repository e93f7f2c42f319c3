import { describe, expect, it } from "vitest";
import type { TradingHours } from "../../db/schema/instruments";
import { catalogueEntry } from "./catalogue";
import { isMarketOpen, weeklyOpenMinutes } from "./hours";

const open = (symbol: string, iso: string) => isMarketOpen(catalogueEntry(symbol), new Date(iso));

// 2025: US DST starts Sunday 9 March and ends Sunday 2 November (New York and Chicago alike).
describe("isMarketOpen: US equities 09:30–16:00 New York", () => {
  it("opens at 09:30 EST (14:30Z) before DST and 09:30 EDT (13:30Z) after", () => {
    expect(open("AAPL", "2025-03-07T14:29:00Z")).toBe(false);
    expect(open("AAPL", "2025-03-07T14:30:00Z")).toBe(true);
    expect(open("AAPL", "2025-03-10T13:29:00Z")).toBe(false);
    expect(open("AAPL", "2025-03-10T13:30:00Z")).toBe(true);
  });
  it("closes at 16:00 local (close is exclusive), on both sides of DST", () => {
    expect(open("SPY", "2025-03-07T20:59:59Z")).toBe(true);
    expect(open("SPY", "2025-03-07T21:00:00Z")).toBe(false);
    expect(open("SPY", "2025-03-10T19:59:00Z")).toBe(true);
    expect(open("SPY", "2025-03-10T20:00:00Z")).toBe(false);
  });
  it("follows the fall-back transition", () => {
    expect(open("MSFT", "2025-10-31T13:30:00Z")).toBe(true); // Friday, still EDT
    expect(open("MSFT", "2025-11-03T13:30:00Z")).toBe(false); // Monday, EST: 08:30 local
    expect(open("MSFT", "2025-11-03T14:30:00Z")).toBe(true);
  });
  it("is closed at weekends", () => {
    expect(open("AAPL", "2025-03-08T15:00:00Z")).toBe(false);
    expect(open("AAPL", "2025-03-09T15:00:00Z")).toBe(false);
  });
});

describe("isMarketOpen: CME futures 17:00–16:00 Chicago, Sunday–Friday", () => {
  it("opens Sunday 17:00 local, on the day DST starts", () => {
    expect(open("ES", "2025-03-09T21:59:00Z")).toBe(false);
    expect(open("ES", "2025-03-09T22:00:00Z")).toBe(true); // 17:00 CDT
  });
  it("trades overnight and halts 16:00–17:00 local daily", () => {
    expect(open("NQ", "2025-03-12T08:00:00Z")).toBe(true); // Wed 03:00 CDT
    expect(open("NQ", "2025-03-11T20:59:00Z")).toBe(true); // Tue 15:59 CDT
    expect(open("NQ", "2025-03-11T21:30:00Z")).toBe(false); // in the halt
    expect(open("NQ", "2025-03-11T22:00:00Z")).toBe(true); // reopened 17:00 CDT
    expect(open("CL", "2025-01-14T22:30:00Z")).toBe(false); // halt in winter is 22:00–23:00Z
    expect(open("CL", "2025-01-14T23:00:00Z")).toBe(true);
  });
  it("closes for the weekend Friday 16:00 local", () => {
    expect(open("MES", "2025-03-07T21:59:00Z")).toBe(true); // Fri 15:59 CST
    expect(open("MES", "2025-03-07T22:00:00Z")).toBe(false);
    expect(open("MES", "2025-03-08T12:00:00Z")).toBe(false); // Saturday
  });
});

describe("isMarketOpen: FX Sunday 17:00 – Friday 17:00 New York", () => {
  it("opens Sunday 17:00 local and runs through midnight", () => {
    expect(open("EURUSD", "2025-03-09T20:59:00Z")).toBe(false);
    expect(open("EURUSD", "2025-03-09T21:00:00Z")).toBe(true); // 17:00 EDT
    expect(open("EURUSD", "2025-03-12T04:00:00Z")).toBe(true); // midnight local, between sessions
  });
  it("closes Friday 17:00 local and stays shut on Saturday", () => {
    expect(open("USDJPY", "2025-03-07T21:59:00Z")).toBe(true);
    expect(open("USDJPY", "2025-03-07T22:00:00Z")).toBe(false); // 17:00 EST
    expect(open("USDJPY", "2025-03-08T12:00:00Z")).toBe(false);
  });
});

describe("isMarketOpen: crypto", () => {
  it("never closes", () => {
    for (const iso of ["2025-03-08T12:00:00Z", "2025-03-09T07:00:00Z", "2025-12-25T00:00:00Z"])
      expect(open("BTC-USD", iso)).toBe(true);
  });
});

describe("trading hours validation", () => {
  const bad = (h: TradingHours) => () =>
    isMarketOpen({ tradingHours: h }, new Date("2025-03-10T15:00:00Z"));
  it("names the problem", () => {
    expect(bad({ timeZone: "Mars/Olympus", sessions: [] })).toThrow(
      /unknown time zone "Mars\/Olympus"/,
    );
    expect(
      bad({ timeZone: "UTC", sessions: [{ days: [1], open: "25:00", close: "26:00" }] }),
    ).toThrow(/sessions\[0\]\.open must be "HH:MM"/);
    expect(
      bad({ timeZone: "UTC", sessions: [{ days: [8], open: "09:00", close: "10:00" }] }),
    ).toThrow(/0 \(Sunday\) … 6 \(Saturday\), got 8/);
    expect(
      bad({ timeZone: "UTC", sessions: [{ days: [1], open: "09:00", close: "09:00" }] }),
    ).toThrow(/same time/);
  });
  it("measures a trading week", () => {
    expect(weeklyOpenMinutes(catalogueEntry("AAPL").tradingHours)).toBe(5 * 390);
    expect(weeklyOpenMinutes(catalogueEntry("EURUSD").tradingHours)).toBe(5 * 1440);
    expect(weeklyOpenMinutes(catalogueEntry("ES").tradingHours)).toBe(5 * 1380);
    expect(weeklyOpenMinutes(catalogueEntry("BTC-USD").tradingHours)).toBe(7 * 1440);
  });
});
