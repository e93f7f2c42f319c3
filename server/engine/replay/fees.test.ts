import { readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestDb } from "../../../test/db";
import { D } from "../../domain/money";
import { checkInvariants } from "./invariants";
import { runReplay } from "./run-replay";
import { parseScenario } from "./scenario";

/**
 * Fees as replay-format.md fixes them, against figures worked by hand (to the 8th decimal).
 * F1: allocation 10 000 (r = 0.1), 20 % performance, 3.65 %/year management (0.0001 of
 * equity a day), 10 bps platform, monthly.
 */
let t: Awaited<ReturnType<typeof createTestDb>>;
beforeEach(async () => {
  t = await createTestDb();
});
afterEach(() => t.drop());

describe("fees", () => {
  it("platform per fill, management accrued daily, performance above the mark, settled on stop", async () => {
    const raw: unknown = JSON.parse(
      readFileSync(
        path.resolve(import.meta.dirname, "../../../scenarios/fees-month-and-stop.json"),
        "utf8",
      ),
    );
    const scenario = parseScenario(raw);
    const report = await runReplay(t.db, scenario);
    expect(await checkInvariants(t.db, scenario, report)).toEqual([]);
    const f = report.followers.F1!;
    // Jan 30: 10 @ 100.01 → platform 0.001 × 1 000.10 = 1.0001.
    // 00:00 Jan 31 accrues 0.0001 × (10 000 − 0.2 − 1.0001) = 0.99987999;
    // 00:00 Feb 1 accrues 0.0001 × (10 000 + 99.8 − 1.0001) = 1.00987999, and settles January:
    // management 2.00975998; performance 20 % × (10 096.79014002 − 10 000) = 19.358028004 → 19.358028.
    expect(f.fees.slice(0, 3)).toEqual([
      { kind: "platform", at: "2026-01-30T15:00:01Z", amount: "1.0001", period: null },
      { kind: "management", at: "2026-02-01T00:00:00Z", amount: "2.00975998", period: "2026-01" },
      { kind: "performance", at: "2026-02-01T00:00:00Z", amount: "19.358028", period: "2026-01" },
    ]);
    // February ends below the mark (10 077.43211202): a management fee, no performance fee.
    expect(f.fees[3]).toMatchObject({ kind: "management", period: "2026-02" });
    expect(f.fees.filter((x) => x.period === "2026-02").map((x) => x.kind)).toEqual(["management"]);
    // The stop: the close's platform fee, then March so far (management and performance).
    expect(f.fees.slice(4).map((x) => [x.kind, x.period])).toEqual([
      ["platform", null],
      ["management", "2026-03"],
      ["performance", "2026-03"],
    ]);
    expect(f.fees[4]!.amount).toBe("1.1999");
    // Nothing left accrued after the stop's settlement; every fee is out of the cash.
    expect(f.feesAccrued).toBe("0");
    const charged = f.fees.reduce((s, x) => s.plus(x.amount), D(0));
    expect(D(f.cash).toFixed()).toBe(
      D(20000).minus("1000.1").plus("1199.9").minus(charged).toFixed(),
    );
    expect(f.fees.every((x) => D(x.amount).decimalPlaces() <= 8)).toBe(true);
  });

  it("a copy without fees reports none, its mark at the reference capital", async () => {
    const raw: unknown = JSON.parse(
      readFileSync(
        path.resolve(import.meta.dirname, "../../../scenarios/example-partial-fills.json"),
        "utf8",
      ),
    );
    const report = await runReplay(t.db, parseScenario(raw));
    for (const f of Object.values(report.followers)) {
      expect(f.fees).toEqual([]);
      expect(f.feesAccrued).toBe("0");
    }
  });
});
