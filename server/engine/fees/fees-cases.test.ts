import { readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestDb } from "../../../test/db";
import { copyRelationships } from "../../../db/schema";
import { copyStatement } from "../../queries/statements";
import { checkInvariants } from "../replay/invariants";
import { runReplay } from "../replay/run-replay";
import { parseScenario } from "../replay/scenario";

/*
 * Hand-computed fee cases (replay-format.md, "Fees"), to the 8th decimal. Each: F1 buys 10
 * AAPL at 100.01 on Jan 30 (platform 10 bps × 1 000.10 = 1.0001); management 3.65 % a year
 * is 0.0001 of the equity at each midnight; 20 % performance above the high-water mark.
 * The equity at 00:00 Jan 31 (bid 99.99) is 10 000 − 0.2 − 1.0001 = 9 998.7999 → accrues
 * 0.99987999.
 */
let t: Awaited<ReturnType<typeof createTestDb>>;
beforeEach(async () => {
  t = await createTestDb();
});
afterEach(() => t.drop());

async function replay(file: string) {
  const raw: unknown = JSON.parse(
    readFileSync(path.resolve(import.meta.dirname, `../../../scenarios/${file}`), "utf8"),
  );
  const scenario = parseScenario(raw);
  const report = await runReplay(t.db, scenario);
  expect(await checkInvariants(t.db, scenario, report)).toEqual([]);
  const [rel] = await t.db.select().from(copyRelationships);
  const statement = (await copyStatement(t.db, rel!.id, new Date("2026-06-01T00:00:00Z")))!;
  return { f: report.followers.F1!, statement };
}

describe("fees, worked by hand", () => {
  it("a deposit mid-period raises the mark by the same amount: new money is not profit", async () => {
    const { f, statement } = await replay("fees-deposit-mid-period.json");
    // Jan 31 12:00 the allocation goes 10 000 → 20 000: the mark 10 000 → 20 000.
    // 00:00 Feb 1 (bid 109.99): equity 20 000 + 99.8 − 1.0001 = 20 098.7999 → accrues 2.00987999;
    // management 0.99987999 + 2.00987999 = 3.00975998; after it 20 095.79014002;
    // performance 20 % × 95.79014002 = 19.158028004 → 19.158028 (not 20 % of 10 095).
    expect(f.fees.slice(0, 3)).toEqual([
      { kind: "platform", at: "2026-01-30T15:00:01Z", amount: "1.0001", period: null },
      { kind: "management", at: "2026-02-01T00:00:00Z", amount: "3.00975998", period: "2026-01" },
      { kind: "performance", at: "2026-02-01T00:00:00Z", amount: "19.158028", period: "2026-01" },
    ]);
    // 20 095.79014002 − 19.158028
    expect(f.highWaterMark).toBe("20076.63211202");
    const jan = statement.periods[0]!;
    expect(jan).toMatchObject({ deposits: "10000", withdrawals: "0", check: "0" });
    expect(jan.equityEnd).toBe("20076.63211202");
  });

  it("a withdrawal mid-period lowers the mark by the same amount", async () => {
    const { f, statement } = await replay("fees-withdrawal.json");
    // Jan 31 12:00 the allocation goes 10 000 → 5 000: the mark 10 000 → 5 000.
    // 00:00 Feb 1: equity 5 000 + 99.8 − 1.0001 = 5 098.7999 → accrues 0.50987999;
    // management 1.50975998; after it 5 097.29014002; performance 20 % × 97.29014002 → 19.458028.
    expect(f.fees.slice(0, 3)).toEqual([
      { kind: "platform", at: "2026-01-30T15:00:01Z", amount: "1.0001", period: null },
      { kind: "management", at: "2026-02-01T00:00:00Z", amount: "1.50975998", period: "2026-01" },
      { kind: "performance", at: "2026-02-01T00:00:00Z", amount: "19.458028", period: "2026-01" },
    ]);
    expect(f.highWaterMark).toBe("5077.83211202");
    expect(statement.periods[0]).toMatchObject({
      withdrawals: "5000",
      equityEnd: "5077.83211202",
      check: "0",
    });
  });

  it("a quarter: month ends settle nothing, the quarter's end settles the whole of it", async () => {
    const { f, statement } = await replay("fees-quarter.json");
    // Feb 1 … Apr 1 are 60 midnights at bid 109.99: equity 10 098.7999 → 1.00987999 each;
    // management 0.99987999 + 60 × 1.00987999 = 61.59267939; after it 10 037.20722061;
    // performance 20 % × 37.20722061 = 7.441444122 → 7.44144412.
    expect(f.fees).toEqual([
      { kind: "platform", at: "2026-01-30T15:00:01Z", amount: "1.0001", period: null },
      { kind: "management", at: "2026-04-01T00:00:00Z", amount: "61.59267939", period: "2026-Q1" },
      { kind: "performance", at: "2026-04-01T00:00:00Z", amount: "7.44144412", period: "2026-Q1" },
    ]);
    expect(f.highWaterMark).toBe("10029.76577649");
    expect(statement.periods.map((p) => [p.period, p.state, p.check])).toEqual([
      ["2026-Q1", "settled", "0"],
      ["2026-Q2", "open", "0"],
    ]);
  });
});
