import { describe, expect, it } from "vitest";
import { decimalsFor, inRange, moneyAxis, niceTicks, pctAxis } from "./chart-scale";

describe("chart axes people can read", () => {
  it("round ticks that cover the data", () => {
    expect(niceTicks(0, 10)).toEqual([0, 2.5, 5, 7.5, 10]);
    expect(niceTicks(-1.3, 0)).toEqual([-1.5, -1, -0.5, 0]);
    const t = niceTicks(60_012, 60_480);
    expect(t[0]).toBeLessThanOrEqual(60_012);
    expect(t.at(-1)).toBeGreaterThanOrEqual(60_480);
  });
  it("a flat line gets distinct ticks, never '60k' five times", () => {
    const t = niceTicks(60_000, 60_000);
    const labels = t.map(moneyAxis(t));
    expect(new Set(labels).size).toBe(labels.length);
    expect(labels.every((l) => l.startsWith("$"))).toBe(true);
  });
  it("drawdown reads 0 %, −0.5 %, −1 % with a real minus sign and no −0", () => {
    const t = niceTicks(-1, 0, 3);
    expect(t.map(pctAxis(t, { plus: false }))).toEqual(["\u22121.0 %", "\u22120.5 %", "0 %"]);
    const labels = niceTicks(-1.2, 0).map(pctAxis(niceTicks(-1.2, 0)));
    expect(labels).not.toContain("-0 %");
    expect(labels.join()).not.toMatch(/-/);
  });
  it("money ticks below 10 000 keep cents only when the step needs them", () => {
    expect([900, 950, 1000].map(moneyAxis([900, 950, 1000]))).toEqual(["$900", "$950", "$1000"]);
    expect(decimalsFor([0, 0.25, 0.5])).toBe(2);
  });
  it("a range is rebased to its first day", () => {
    const pts = [
      { day: "2026-01-01", equity: "100", growth: "0", drawdown: "0" },
      { day: "2026-06-01", equity: "110", growth: "0.1", drawdown: "0" },
      { day: "2026-06-20", equity: "121", growth: "0.21", drawdown: "0" },
      { day: "2026-06-25", equity: "108.9", growth: "0.089", drawdown: "0.1" },
    ];
    const all = inRange(pts, "all");
    expect(all.at(-1)!.growth).toBe("0.089");
    const m = inRange(pts, "1m");
    expect(m.map((r) => r.day)).toEqual(["2026-06-01", "2026-06-20", "2026-06-25"]);
    expect(m[0]!.growth).toBe("0");
    expect(m[1]!.growth).toBe("0.1");
    expect(m[2]!.drawdown).toBe("0.1");
  });
});
