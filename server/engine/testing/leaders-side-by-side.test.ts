import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { createTestDb } from "../../../test/db";
import { ManualClock } from "../../domain/clock";
import { type EngineDeps } from "../deps";
import { insertCopiedLeaders, paperEngine } from "./test-world";
import { ingestLeaderFill } from "../ingest/leader-events";
import { pump } from "../pump";
import { bookkeepingIntegrityProblems } from "../book/integrity";

/**
 * The worker's loop with leaders replicated side by side (`leaderConcurrency`) does what it
 * does one leader at a time, and counts the same work; a stopped loop starts nothing.
 * Three leaders, 40 followers each, one fill each, in two identical worlds.
 */
const LEADERS = 3;
const FOLLOWERS = 40;
const clock = new ManualClock(new Date("2026-03-03T15:00:00Z")); // a Tuesday, markets open
type World = Awaited<ReturnType<typeof createTestDb>>;
const worlds: World[] = [];

beforeAll(async () => {
  worlds.push(await createTestDb(), await createTestDb());
});
afterAll(async () => {
  for (const w of worlds) await w.drop();
});

async function setUp(w: World, leaderConcurrency: number) {
  const { paper, deps: worker } = await paperEngine(w.db, clock, "leaders", {
    symbol: "AAPL",
    bid: "199.99",
    ask: "200.01",
  });
  const deps: EngineDeps = { ...worker, config: { ...worker.config, leaderConcurrency } };
  const leaderIds = await insertCopiedLeaders(w.db, paper, clock, {
    tag: "side",
    leaders: LEADERS,
    followersPerLeader: FOLLOWERS,
  });
  for (const [l, leaderId] of leaderIds.entries())
    await ingestLeaderFill(deps, {
      leaderId,
      fillId: `side-${l}`,
      orderId: `side-o-${l}`,
      symbol: "AAPL",
      side: "buy",
      qty: "500",
      price: "200",
      at: clock.now(),
    });
  return deps;
}

const outcome = (w: World) =>
  w.db.execute<Record<string, string>>(sql`
    select u.email, o.leader_fill_id, o.status, o.filled_qty::text as filled, b.cash::text as cash
      from users u join broker_accounts a on a.user_id = u.id
      join orders o on o.broker_account_id = a.id
      join account_balances b on b.broker_account_id = a.id
     where u.role = 'follower' order by u.email, o.leader_fill_id`);

describe("leaders side by side in the worker's loop", () => {
  it("a stopped loop starts nothing; side by side copies and counts what one at a time does", async () => {
    const side = await setUp(worlds[1]!, 3);
    const stop = new AbortController();
    stop.abort();
    expect(await pump(side, { signal: stop.signal })).toBe(0);
    const [{ n }] = (await worlds[1]!.db.execute<{ n: number }>(
      sql`select count(*)::int as n from orders`,
    )) as unknown as [{ n: number }];
    expect(n).toBe(0);

    const one = await setUp(worlds[0]!, 1);
    const workOne = await pump(one);
    const workSide = await pump(side);
    // The same units of work counted: no count lost between leaders running at once.
    expect(workSide).toBe(workOne);
    const a = await outcome(worlds[0]!);
    const b = await outcome(worlds[1]!);
    expect(a).toHaveLength(LEADERS * FOLLOWERS);
    expect(a.every((r) => r.status === "filled" && r.filled === "5")).toBe(true);
    expect(b).toEqual(a);
    expect(await bookkeepingIntegrityProblems(worlds[1]!.db)).toEqual([]);
  }, 120_000);
});
