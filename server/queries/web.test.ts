import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb } from "../../test/db";
import { seedDemoWorld } from "../demo/seed";
import * as s from "../../db/schema";
import { maxDrawdown, performanceSummary, timeWeightedReturn } from "../domain/metrics";
import { leaderProfile, listLeaders } from "./leaders";
import {
  ensureLeaderStats,
  leaderSnapshots,
  refreshLeaderStats,
  refreshLeadersStats,
} from "../engine/ops/leader-stats";
import { chartSeries, monthlyReturns, periodReturns, toSeries } from "../domain/series";
import { closedTradesFromFills } from "../domain/round-trips";
import { amountProblem, copyPreview, defaultLimits } from "./copies";

let t: Awaited<ReturnType<typeof createTestDb>>;
const NOW = new Date("2026-11-20T12:00:00Z");
beforeAll(async () => {
  t = await createTestDb();
  await seedDemoWorld(t.db, { now: NOW });
}, 180_000);
afterAll(() => t.drop());

describe("round trips from fills", () => {
  const spec = () => ({ multiplier: "1", commissionPerUnit: "0.01" });
  const at = (h: number) => new Date(Date.UTC(2026, 0, 1, h));
  it("average cost, partial closes and fees, by hand", () => {
    const trades = closedTradesFromFills(
      [
        { symbol: "A", side: "buy", qty: "10", price: "100", at: at(0) },
        { symbol: "A", side: "buy", qty: "10", price: "110", at: at(1) },
        { symbol: "A", side: "sell", qty: "5", price: "120", at: at(2) },
        { symbol: "A", side: "sell", qty: "15", price: "100", at: at(5) },
      ],
      spec,
    );
    // avg 105; +5×15 = 75, −15×5 = −75 → 0 gross; fees 0.4 → −0.4: a loss, not a win
    expect(trades).toEqual([{ symbol: "A", openedAt: at(0), closedAt: at(5), pnl: "-0.4" }]);
  });
  it("a flip closes one trade and opens the next", () => {
    const trades = closedTradesFromFills(
      [
        { symbol: "B", side: "buy", qty: "2", price: "50", at: at(0), fee: "0" },
        { symbol: "B", side: "sell", qty: "5", price: "60", at: at(1), fee: "0" },
        { symbol: "B", side: "buy", qty: "3", price: "40", at: at(2), fee: "0" },
      ],
      spec,
    );
    expect(trades.map((x) => x.pnl)).toEqual(["20", "60"]);
    expect(trades[1]!.openedAt).toEqual(at(1));
  });
});

describe("series helpers agree with the metrics module", () => {
  const rows = [
    { day: "2026-01-01", equity: "100", netFlow: "0" },
    { day: "2026-01-02", equity: "110", netFlow: "0" },
    { day: "2026-01-03", equity: "160", netFlow: "50" },
    { day: "2026-02-01", equity: "88", netFlow: "0" },
  ];
  it("the drawdown chart's deepest point is maxDrawdown", () => {
    const { series, flows } = toSeries(rows);
    const chart = chartSeries(rows);
    const deepest = Math.max(...chart.map((p) => Number(p.drawdown)));
    expect(deepest.toFixed(6)).toBe(Number(maxDrawdown(series, flows)).toFixed(6));
    // by hand: index 1, 1.1, 1.1 (the deposit is not a gain), 1.1×88/160 = 0.605 → dd 0.45
    expect(chart.map((p) => p.drawdown)).toEqual(["0", "0", "0", "0.45"]);
    expect(chart.at(-1)!.growth).toBe("-0.395");
  });
  it("since-start and monthly returns chain to the TWR", () => {
    const { series, flows } = toSeries(rows);
    const all = periodReturns(rows).find((p) => p.key === "all")!.value;
    expect(all).toBe(timeWeightedReturn(series, flows));
    expect(all).toBe("-0.395");
    const m = monthlyReturns(rows);
    expect(m).toEqual([
      { month: "2026-01", value: "0.1" },
      { month: "2026-02", value: "-0.45" },
    ]);
    // a period longer than the history is "not enough history", not the all-time number
    expect(periodReturns(rows).find((p) => p.key === "1y")!.value).toBeNull();
  });
});

describe("discovery in the database", () => {
  it("stats are computed once from the metrics module and stored", async () => {
    await listLeaders(t.db, {}, NOW);
    expect(await ensureLeaderStats(t.db, NOW)).toBe(0);
    const [steady] = await t.db.select().from(s.leaders).where(eq(s.leaders.handle, "steady-etf"));
    const [stats] = await t.db
      .select()
      .from(s.leaderStats)
      .where(eq(s.leaderStats.leaderId, steady!.id));
    const rows = await leaderSnapshots(t.db, steady!.id);
    const { series, flows } = toSeries(rows);
    const summary = performanceSummary({ series, flows });
    expect(stats!.returnAll).toBe(summary.twr);
    expect(stats!.maxDrawdown).toBe(summary.maxDrawdown);
    expect(stats!.riskScore).toBe(summary.riskScore);
    expect(stats!.assetClasses).toEqual(["etf"]);
  });

  it("refreshing all leaders in one round stores what refreshing each alone stores", async () => {
    const strip = (r: typeof s.leaderStats.$inferSelect) => ({ ...r, computedAt: null });
    const before = await t.db.select().from(s.leaderStats).orderBy(s.leaderStats.leaderId);
    expect(before.length).toBeGreaterThan(1);
    await refreshLeadersStats(
      t.db,
      before.map((r) => r.leaderId),
      NOW,
    );
    const together = await t.db.select().from(s.leaderStats).orderBy(s.leaderStats.leaderId);
    for (const r of before) await refreshLeaderStats(t.db, r.leaderId, NOW);
    const alone = await t.db.select().from(s.leaderStats).orderBy(s.leaderStats.leaderId);
    expect(together.map(strip)).toEqual(alone.map(strip));
    expect(new Set(together.map((r) => r.returnAll)).size).toBeGreaterThan(1);
  });

  it("sorts, filters and pages", async () => {
    const all = await listLeaders(t.db, { sort: "return_all", pageSize: 100 }, NOW);
    expect(all.total).toBe(5);
    // Leaders with a risk score by return; those without enough history for one come last.
    const rated = all.items.filter((i) => i.riskScore !== null);
    const values = rated.map((i) => Number(i.returnAll));
    expect(values).toEqual([...values].sort((a, b) => b - a));
    expect(all.items.slice(0, rated.length)).toEqual(rated);
    const byRisk = await listLeaders(t.db, { sort: "risk_score", pageSize: 100 }, NOW);
    const fresh = byRisk.items.find((i) => i.handle === "new-futures")!;
    expect(fresh.riskScore).toBeNull(); // no trades, a short history: "not enough data"
    expect(byRisk.items.at(-1)!.handle).toBe("new-futures");
    expect(byRisk.items.find((i) => i.handle === "steady-etf")!.spark.length).toBeGreaterThan(30);
    const page2 = await listLeaders(t.db, { sort: "name", pageSize: 2, page: 2 }, NOW);
    expect(page2.items).toHaveLength(2);
    expect(page2.total).toBe(5);
    const byName = await listLeaders(t.db, { sort: "name", pageSize: 100 }, NOW);
    expect(page2.items.map((i) => i.handle)).toEqual(byName.items.slice(2, 4).map((i) => i.handle));
    const crypto = await listLeaders(t.db, { assetClass: "crypto" }, NOW);
    expect(crypto.items.map((i) => i.handle)).toEqual(["crypto-swing"]);
    const copyable = await listLeaders(t.db, { copyableOnly: true, pageSize: 100 }, NOW);
    expect(copyable.items.map((i) => i.handle)).not.toContain("new-futures");
    const newOne = all.items.find((i) => i.handle === "new-futures")!;
    expect(newOne.meetsTrackRecord).toBe(false);
    const calm = await listLeaders(t.db, { maxRisk: 3, pageSize: 100 }, NOW);
    expect(calm.items.every((i) => (i.riskScore ?? 99) <= 3)).toBe(true);
    const dd = await listLeaders(t.db, { maxDrawdownPct: 5, pageSize: 100 }, NOW);
    expect(dd.items.every((i) => Number(i.maxDrawdown) <= 0.05)).toBe(true);
    const sym = await listLeaders(t.db, { search: "aapl" }, NOW);
    expect(sym.items.map((i) => i.handle)).toEqual(["tech-momentum"]);
  });

  it("the profile's numbers are the metrics module's", async () => {
    const p = (await leaderProfile(t.db, "tech-momentum", NOW))!;
    expect(p.summary.twr).toBe(p.periods.find((x) => x.key === "all")!.value);
    expect(p.chart.length).toBeGreaterThan(100);
    expect(p.recentTrades.length).toBe(20);
    expect(p.summary.instrumentFocus.length).toBeGreaterThan(1);
    expect(await leaderProfile(t.db, "nobody", NOW)).toBeNull();
  });
});

describe("copy form arithmetic", () => {
  it("refuses bad amounts with the field named", () => {
    expect(
      amountProblem({ amount: "50", minAllocation: "100", available: "9000", currency: "USD" }),
    ).toMatch(/^Amount: the minimum for this leader is 100.00 USD/);
    expect(
      amountProblem({
        amount: "9000.01",
        minAllocation: "100",
        available: "9000",
        currency: "USD",
      }),
    ).toMatch(/^Amount: you have 9,000.00 USD available/);
    expect(
      amountProblem({ amount: "5000", minAllocation: "100", available: "9000", currency: "USD" }),
    ).toBeNull();
  });
  it("defaults scale with the amount", () => {
    expect(defaultLimits("5000")).toMatchObject({
      copyStopLossPct: "20",
      maxSymbolExposure: "2500",
      dailyLossLimit: "500",
    });
  });
  it("the worked example scales the leader's own opening trades", async () => {
    const [l] = await t.db.select().from(s.leaders).where(eq(s.leaders.handle, "steady-etf"));
    const p = (await copyPreview(t.db, null, {
      leaderId: l!.id,
      sizing: { mode: "proportional", amount: "5000" },
    }))!;
    expect(p.examples.length).toBeGreaterThan(0);
    const e = p.examples[0]!;
    expect(Number(e.followerQty)).toBeLessThanOrEqual(Number(e.leaderQty) * Number(p.ratio) + 1e-9);
    const m = (await copyPreview(t.db, null, {
      leaderId: l!.id,
      sizing: { mode: "multiplier", amount: "5000", factor: "0.5" },
    }))!;
    expect(m.ratio).toBe("0.5");
  });
});
