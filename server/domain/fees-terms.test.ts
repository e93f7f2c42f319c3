import { describe, expect, it } from "vitest";
import { checkLeaderFees, checkPlatformFees, revenueShare, workedFeeExample } from "./fees";

describe("fee terms", () => {
  it("the worked example: $10 000 gaining 10 % in a 30-day month at 20 % / 2 % / 10 bps", () => {
    const ex = workedFeeExample({
      amount: "10000",
      gainPct: "10",
      days: 30,
      performanceFeePct: "20",
      managementFeePctYear: "2",
      platformFeeBps: "10",
    });
    // platform 0.001 × 10 000 = 10; management 30 × 2/36 500 × 10 000 = 16.438356164… → 16.43835616;
    // equity 11 000 − 10 − 16.43835616 = 10 973.56164384; performance 20 % × 973.56164384 → 194.71232876.
    expect([ex.platform, ex.management, ex.performance, ex.total].map((d) => d.toFixed())).toEqual([
      "10",
      "16.43835616",
      "194.71232876",
      "221.15068492",
    ]);
  });

  it("the revenue share: the platform's part rounded down, the leader gets the rest", () => {
    const s = revenueShare("19.358028", "20");
    expect([s.platform.toFixed(), s.leader.toFixed()]).toEqual(["3.8716056", "15.4864224"]);
    const odd = revenueShare("0.00000003", "50");
    expect([odd.platform.toFixed(), odd.leader.toFixed()]).toEqual(["0.00000001", "0.00000002"]);
  });

  it("caps: at most 30 % and 3 % a year; the message names the field", () => {
    expect(
      checkLeaderFees({ performanceFeePct: "30", managementFeePctYear: "3", period: "quarter" }),
    ).toEqual({ performanceFeePct: "30", managementFeePctYear: "3", period: "quarter" });
    expect(() =>
      checkLeaderFees({ performanceFeePct: "30.01", managementFeePctYear: "0", period: "month" }),
    ).toThrow("Performance fee: at most 30 %, got 30.01.");
    expect(() =>
      checkLeaderFees({ performanceFeePct: "20", managementFeePctYear: "-1", period: "month" }),
    ).toThrow("Management fee: enter a number such as 20 or 1.5.");
    expect(() => checkPlatformFees({ platformFeeBps: "101", platformSharePct: "20" })).toThrow(
      "Platform fee: at most 100 bps, got 101.",
    );
  });
});
