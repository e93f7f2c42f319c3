import { describe, expect, it } from "vitest";
import { copyHealth, startOfUtcDay, type HealthFacts } from "./copy-health";

const base: HealthFacts = {
  status: "active",
  stopReason: null,
  closeOnStop: true,
  copyStopLossPct: "20",
  pendingLeaderEvents: 0,
  skippedToday: [],
  reducedToday: [],
  rejectedToday: [],
  waitingForMarket: [],
};

describe("copyHealth: one line per copy, worst first", () => {
  it("in sync when nothing is wrong", () => {
    expect(copyHealth(base)).toEqual({ kind: "in_sync" });
  });
  it("a stop-loss stop says so, with the limit, and is not a manual stop", () => {
    expect(copyHealth({ ...base, status: "stopped", stopReason: "COPY_STOP_LOSS" })).toEqual({
      kind: "stopped",
      reason: "COPY_STOP_LOSS",
      closeOnStop: true,
      stopLossPct: "20",
    });
    expect(
      copyHealth({ ...base, status: "stopped", stopReason: "STOPPED", closeOnStop: false }),
    ).toMatchObject({ kind: "stopped", reason: "STOPPED", closeOnStop: false });
  });
  it("counts today's skipped and reduced trades with the commonest reason first", () => {
    expect(
      copyHealth({
        ...base,
        skippedToday: [
          { reason: "MAX_SYMBOL_EXPOSURE", n: 2 },
          { reason: "BELOW_MIN_SIZE", n: 1 },
        ],
        reducedToday: [{ reason: "INSUFFICIENT_FUNDS", n: 3 }],
        pendingLeaderEvents: 4,
      }),
    ).toEqual({
      kind: "skipped",
      skipped: 3,
      reduced: 3,
      reasons: ["INSUFFICIENT_FUNDS", "MAX_SYMBOL_EXPOSURE", "BELOW_MIN_SIZE"],
    });
  });
  it("broker refusals outrank a closed market, which outranks skips and catching up", () => {
    const waiting = { ...base, waitingForMarket: ["SPY"], pendingLeaderEvents: 2 };
    expect(copyHealth(waiting)).toEqual({ kind: "waiting_market", symbols: ["SPY"] });
    expect(
      copyHealth({ ...waiting, rejectedToday: [{ reason: "INSUFFICIENT_BUYING_POWER", n: 1 }] }),
    ).toEqual({ kind: "errors", count: 1, reasons: ["INSUFFICIENT_BUYING_POWER"] });
    expect(copyHealth({ ...base, pendingLeaderEvents: 2 })).toEqual({
      kind: "catching_up",
      pending: 2,
    });
    expect(copyHealth({ ...base, outOfLine: ["BTC-USD"] })).toEqual({
      kind: "out_of_line",
      symbols: ["BTC-USD"],
    });
  });
  it("a paused copy is paused, whatever else", () => {
    expect(
      copyHealth({ ...base, status: "paused", skippedToday: [{ reason: "PAUSED", n: 2 }] }),
    ).toEqual({ kind: "paused", skippedToday: 2 });
  });
  it("today starts at midnight UTC", () => {
    expect(startOfUtcDay(new Date("2026-11-20T23:59:00-05:00")).toISOString()).toBe(
      "2026-11-21T00:00:00.000Z",
    );
  });
});
