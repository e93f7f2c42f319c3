import { afterEach, describe, expect, it } from "vitest";
import { createTestDb } from "../../../test/db";
import { exportLeaderScenario, ExportError } from "./export";
import { checkInvariants } from "./invariants";
import { runReplay } from "./run-replay";
import { parseScenario } from "./scenario";
import { AAPL_SPEC as inst, leaderFillEvent as fill } from "../testing/scenario-parts";

/*
 * Export then replay: a leader's stream recorded by the real ingestion (a replay writes it
 * exactly as the worker does) is exported for a window that starts while the leader holds
 * a position, and the export replays into a valid report with the leader where it really is.
 */
const dbs: Array<Awaited<ReturnType<typeof createTestDb>>> = [];
afterEach(async () => {
  for (const d of dbs.splice(0)) await d.drop();
});

describe("replay:export", () => {
  it("exports the recorded stream as a scenario that replays into a valid report", async () => {
    const recorded = await createTestDb();
    dbs.push(recorded);
    await runReplay(
      recorded.db,
      parseScenario({
        name: "recorded",
        instruments: [inst],
        leader: { id: "Steady", cash: "100000" },
        followers: [],
        events: [
          {
            at: "2026-01-05T14:30:00Z",
            type: "quote",
            symbol: "AAPL",
            bid: "99.98",
            ask: "100.02",
          },
          fill("2026-01-05T14:30:01Z", 1, "buy", "40", "100"),
          {
            at: "2026-01-07T14:30:00Z",
            type: "quote",
            symbol: "AAPL",
            bid: "104.98",
            ask: "105.02",
          },
          fill("2026-01-07T14:30:01Z", 2, "sell", "10", "105"),
          { at: "2026-01-07T16:00:00Z", type: "cash", account: "Steady", amount: "5000" },
          {
            at: "2026-01-08T14:30:00Z",
            type: "quote",
            symbol: "AAPL",
            bid: "107.98",
            ask: "108.02",
          },
          fill("2026-01-08T14:30:01Z", 3, "buy", "20", "108"),
        ],
      }),
    );
    const scenario = await exportLeaderScenario(recorded.db, {
      leader: "steady",
      days: 2,
      now: new Date("2026-01-08T20:00:00Z"),
      followers: [
        {
          id: "you",
          cash: "20000",
          copy: {
            sizing: { mode: "proportional", allocation: "10000" },
            onInsufficientFunds: "reduce",
          },
        },
      ],
    });
    // The window opens on Jan 6, 20:00 with the leader long 40 bought at 100: an opening fill
    // at the first recorded price in the window, and cash before it worth the whole book.
    const fills = scenario.events.filter((e) => e.type === "leader_fill");
    expect(fills.map((f) => f.fillId)).toEqual(["open-AAPL", "f-2", "f-3"]);
    expect(fills[0]).toMatchObject({ side: "buy", qty: "40", price: "105" });
    // Cash then 100 000 − 40 × 100 = 96 000, plus the 40 valued at 105: 100 200.
    expect(scenario.leader.cash).toBe("100200");
    expect(scenario.events.some((e) => e.type === "cash" && e.amount === "5000")).toBe(true);

    const replayed = await createTestDb();
    dbs.push(replayed);
    const report = await runReplay(replayed.db, scenario);
    expect(report.leader.positions).toEqual({ AAPL: "50" });
    expect(await checkInvariants(replayed.db, scenario, report)).toEqual([]);
    expect(report.followers.you!.fills.length).toBeGreaterThan(0);
    expect(report.followers.you!.decisions.map((d) => d.leaderFillId)).toEqual([
      "open-AAPL",
      "f-2",
      "f-3",
    ]);
  });

  it("refuses a leader it does not know, naming it", async () => {
    const empty = await createTestDb();
    dbs.push(empty);
    await expect(exportLeaderScenario(empty.db, { leader: "nobody", days: 30 })).rejects.toThrow(
      new ExportError("no leader with handle nobody"),
    );
    await expect(exportLeaderScenario(empty.db, { leader: "nobody", days: 0 })).rejects.toThrow(
      /days must be a whole number/,
    );
  });
});
