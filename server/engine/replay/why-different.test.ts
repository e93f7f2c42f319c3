import { readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestDb } from "../../../test/db";
import { D, fmt } from "../../domain/money";
import { loadAttribution } from "../ops/attribution";
import { runReplay, uuidFor } from "./run-replay";
import { parseScenario, type Scenario } from "./scenario";
import { AAPL_SPEC, leaderFillEvent as fill, quoteEvent as q } from "../testing/scenario-parts";

/*
 * The identity on real replays: for every follower of every committed scenario and of one
 * built to touch every part, Σ parts = leader's return on the copy's capital − copy's P&L,
 * exactly, and the copy's P&L by its trades is the P&L by its books (no rounding part).
 */
let t: Awaited<ReturnType<typeof createTestDb>>;
beforeEach(async () => {
  t = await createTestDb();
});
afterEach(() => t.drop());

const dir = path.resolve(import.meta.dirname, "../../../scenarios");
const SCENARIOS = [
  "fees-month-and-stop.json",
  "paused-flip-working-close.json",
  "stops-are-decisions.json",
];

async function checkIdentity(scenario: Scenario) {
  await runReplay(t.db, scenario);
  const seed = scenario.seed ?? scenario.name;
  const seen: string[] = [];
  for (const f of scenario.followers) {
    const loaded = await loadAttribution(t.db, uuidFor(seed, `copy:${f.id}`));
    const a = loaded!.attribution;
    const sum = a.parts.reduce((s, p) => s.plus(p.amount), D(0));
    expect(fmt(sum), `${scenario.name} ${f.id}`).toBe(fmt(a.leaderPnl.minus(a.copyPnl)));
    expect(a.parts.map((p) => p.key)).not.toContain("book_rounding");
    seen.push(...a.parts.filter((p) => !p.amount.isZero()).map((p) => p.reason ?? p.key));
  }
  return seen;
}

describe("why my numbers differ, on replays", () => {
  it("adds up exactly on committed scenarios (fees and a stop, pauses and flips, stops)", async () => {
    const seen: string[] = [];
    // Three of the committed scenarios keep this lean; between them they cover stops, fees,
    // pauses, flips, working orders and several followers.
    for (const file of SCENARIOS) {
      await t.drop();
      t = await createTestDb();
      const scenario = parseScenario(JSON.parse(readFileSync(path.join(dir, file), "utf8")));
      seen.push(...(await checkIdentity(scenario)));
    }
    // The scenarios between them exercise more than one kind of gap.
    expect(new Set(seen).size).toBeGreaterThan(2);
  });

  it("names each part in a scenario built to touch them all", async () => {
    const scenario = parseScenario({
      name: "why-different every part",
      instruments: [AAPL_SPEC],
      leader: { id: "L", cash: "100000" },
      followers: [
        {
          id: "P",
          cash: "20000",
          copy: {
            sizing: { mode: "proportional", allocation: "10000" },
            risk: { maxSymbolExposure: "600" },
            onInsufficientFunds: "reduce",
            fees: { platformFeeBps: "10", managementFeePctYear: "3.65", performanceFeePct: "20" },
          },
        },
        {
          id: "M",
          cash: "20000",
          copy: { sizing: { mode: "multiplier", factor: "0.03" }, onInsufficientFunds: "skip" },
        },
      ],
      events: [
        q("2026-01-29T14:30:00Z", "99.98", "100.02"),
        fill("2026-01-29T14:30:01Z", 1, "buy", "25", "100"),
        { at: "2026-01-29T15:00:00Z", type: "copy_action", follower: "M", action: "pause" },
        q("2026-01-30T14:30:00Z", "104.98", "105.02"),
        fill("2026-01-30T14:30:01Z", 2, "buy", "40", "105"),
        { at: "2026-01-30T15:00:00Z", type: "copy_action", follower: "M", action: "resume" },
        q("2026-02-02T14:30:00Z", "109.9", "110.1"),
        fill("2026-02-02T14:30:01Z", 3, "sell", "15", "110"),
        q("2026-02-03T14:30:00Z", "111.9", "112.1"),
      ],
    });
    const seen = await checkIdentity(scenario);
    for (const part of ["rounding", "MAX_SYMBOL_EXPOSURE", "execution", "commissions", "fees"])
      expect(seen).toContain(part);
    expect(seen).toContain("ratio"); // the multiplier copy's idle cash
    expect(seen).toContain("PAUSED");
  });
});
