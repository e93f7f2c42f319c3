import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { leaders, whatIfRuns } from "../../../db/schema";
import { createTestDb } from "../../../test/db";
import { D } from "../../domain/money";
import { runReplay } from "../replay/run-replay";
import { parseScenario } from "../replay/scenario";
import { NO_LIMITS } from "../testing/limits";
import { AAPL_SPEC, leaderFillEvent, quoteEvent as q } from "../testing/scenario-parts";
import { claimWhatIfRun, executeWhatIfRun, WHATIF_LIMITS, type WhatIfSettings } from "./run";

/*
 * A what-if run as the worker runs it: a leader's stream recorded by the real ingestion, a
 * queued run claimed, replayed on a throwaway database cloned on the same server, with
 * progress, a result whose waterfall adds up, and the bounds (one live run per user, the
 * size limit, the time limit).
 */
let t: Awaited<ReturnType<typeof createTestDb>>;
let leader: typeof leaders.$inferSelect;
const NOW = new Date("2026-01-09T00:00:00Z");
const settings: WhatIfSettings = {
  amount: "10000",
  mode: "proportional",
  onInsufficientFunds: "reduce",
  limits: NO_LIMITS,
  fees: { performanceFeePct: "20", managementFeePctYear: null, platformFeeBps: "10" },
};

beforeAll(async () => {
  t = await createTestDb();
  await runReplay(
    t.db,
    parseScenario({
      name: "recorded",
      instruments: [AAPL_SPEC],
      leader: { id: "Swing", cash: "100000" },
      followers: [],
      events: [
        q("2026-01-05T14:30:00Z", "99.98", "100.02"),
        leaderFillEvent("2026-01-05T14:30:01Z", 1, "buy", "35", "100"),
        q("2026-01-07T14:30:00Z", "104.98", "105.02"),
        leaderFillEvent("2026-01-07T14:30:01Z", 2, "sell", "10", "105"),
        q("2026-01-08T14:30:00Z", "107.98", "108.02"),
      ],
    }),
  );
  leader = (await t.db.select().from(leaders))[0]!;
});
afterAll(() => t.drop());

async function queue() {
  const [run] = await t.db
    .insert(whatIfRuns)
    .values({ userId: leader.userId, leaderId: leader.id, days: 30, settings })
    .returning();
  return run!;
}

describe("what-if runs", () => {
  it("replays the leader's last days with the asker's settings, with progress and a result that adds up", async () => {
    const queued = await queue();
    // One queued or running run per user: the database refuses a second.
    await expect(queue()).rejects.toThrow();
    const run = await claimWhatIfRun(t.db, "test");
    expect(run?.id).toBe(queued.id);
    expect(await claimWhatIfRun(t.db, "other")).toBeNull();
    await executeWhatIfRun(t.db, t.url, run!, NOW);
    const [done] = await t.db.select().from(whatIfRuns).where(eq(whatIfRuns.id, queued.id));
    expect(done).toMatchObject({ status: "done", progress: 100, error: null });
    const r = done!.result as {
      equity: Array<{ day: string }>;
      decisions: Array<{ leaderFillId: string; reason: string }>;
      fees: Array<{ kind: string }>;
      whyDifferent: { difference: string; parts: Array<{ amount: string; cents: string }> };
    };
    expect(r.decisions.map((d) => d.leaderFillId)).toEqual(["f-1", "f-2"]);
    expect(r.equity.map((p) => p.day)).toEqual(["2026-01-05", "2026-01-07", "2026-01-08"]);
    expect(r.fees.some((f) => f.kind === "platform")).toBe(true);
    const sum = r.whyDifferent.parts.reduce((s, p) => s.plus(p.amount), D(0));
    expect(sum.toFixed()).toBe(D(r.whyDifferent.difference).toFixed());
    const cents = r.whyDifferent.parts.reduce((s, p) => s.plus(p.cents), D(0));
    expect(cents.toFixed(2)).toBe(D(r.whyDifferent.difference).toFixed(2));
  });

  it("refuses a run over the size limit in words, and stops one over the time limit", async () => {
    const saved = { ...WHATIF_LIMITS };
    try {
      WHATIF_LIMITS.maxFills = 1;
      const big = await queue();
      await executeWhatIfRun(t.db, t.url, (await claimWhatIfRun(t.db, "test"))!, NOW);
      const [refused] = await t.db.select().from(whatIfRuns).where(eq(whatIfRuns.id, big.id));
      expect(refused!.status).toBe("failed");
      expect(refused!.error).toMatch(/made 2 trades in 30 days; a what-if replays at most 1/);

      WHATIF_LIMITS.maxFills = saved.maxFills;
      WHATIF_LIMITS.maxSeconds = 0;
      const slow = await queue();
      await executeWhatIfRun(t.db, t.url, (await claimWhatIfRun(t.db, "test"))!, NOW);
      const [stopped] = await t.db.select().from(whatIfRuns).where(eq(whatIfRuns.id, slow.id));
      expect(stopped!.status).toBe("timed_out");
      expect(stopped!.error).toMatch(/took longer than 0 seconds/);
    } finally {
      Object.assign(WHATIF_LIMITS, saved);
    }
  });
});
