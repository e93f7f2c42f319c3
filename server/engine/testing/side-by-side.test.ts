import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { createTestDb } from "../../../test/db";
import { ManualClock } from "../../domain/clock";
import { type EngineDeps } from "../deps";
import { insertCopiedLeaders, paperEngine } from "./test-world";
import { ingestLeaderFill } from "../ingest/leader-events";
import { pump } from "../pump";
import { replicateLeader } from "../replicate/replicate";
import { submitDueOrders } from "../execute/submit";
import { bookkeepingIntegrityProblems } from "../book/integrity";
import { splitEvenly } from "../core/concurrency";
import { partsOfWholeAccounts } from "../execute/submit";

/**
 * A fan-out planned in batches side by side (`fanoutConcurrency`), orders sent in broker
 * calls side by side (`submitConcurrency`) and one batch read booked in parts side by side
 * (`bookingConcurrency`) must do exactly what one at a time does: the same world twice, 2 400 followers copying one leader fill with a platform fee,
 * once one at a time and once two at a time; every follower's decision and numbers, the
 * ledger, and the fan-out and fill streams compared.
 */
const N = 2400;
const clock = new ManualClock(new Date("2026-03-03T15:00:00Z")); // a Tuesday, markets open
type World = Awaited<ReturnType<typeof createTestDb>>;
const worlds: World[] = [];

beforeAll(async () => {
  worlds.push(await createTestDb(), await createTestDb());
});
afterAll(async () => {
  for (const w of worlds) await w.drop();
});

async function run(w: World, side: number) {
  const { paper, deps: worker } = await paperEngine(w.db, clock, "parts", {
    symbol: "AAPL",
    bid: "199.99",
    ask: "200.01",
  });
  const deps: EngineDeps = {
    ...worker,
    // Broker calls of 500 orders, so that the submission, too, runs in parts (three).
    config: {
      ...worker.config,
      bookingConcurrency: side,
      fanoutConcurrency: side,
      submitConcurrency: side,
      submitBatchSize: 500,
      // One fan-out batch for all of them one at a time; two side by side.
      fanoutBatchSize: 5000,
    },
  };
  const [leaderId] = (await insertCopiedLeaders(w.db, paper, clock, {
    tag: "parts",
    leaders: 1,
    followersPerLeader: N,
    platformFeeBps: "10",
  })) as [string];
  await ingestLeaderFill(deps, {
    leaderId,
    fillId: "parts-1",
    orderId: "parts-o-1",
    symbol: "AAPL",
    side: "buy",
    qty: "500",
    price: "200",
    at: clock.now(),
  });
  // Every order sent at once, as the worker does when it catches up, so that one batch read
  // returns all 2 400 accounts' events (pump alone sends 500 a round).
  await replicateLeader(deps, leaderId);
  await submitDueOrders(deps, { limit: 20_000 });
  await pump(deps);

  const followers = await w.db.execute<Record<string, string>>(sql`
    select u.email, d.action, d.reason, d.order_qty::text as order_qty, o.status, o.filled_qty::text as filled, p.qty::text as qty, p.avg_cost::text as avg,
           b.cash::text as cash, cp.qty::text as copy_qty, cp.fees::text as copy_fees, c.fees_charged::text as fees_charged
      from users u join broker_accounts a on a.user_id = u.id
      join orders o on o.broker_account_id = a.id
      join positions p on p.broker_account_id = a.id
      join account_balances b on b.broker_account_id = a.id
      join copy_relationships c on c.broker_account_id = a.id
      join copy_positions cp on cp.relationship_id = c.id
      join copy_decisions d on d.relationship_id = c.id
     where u.role = 'follower' order by u.email`);
  const ledger = await w.db.execute<Record<string, string>>(sql`
    select regexp_replace(l.code, '[0-9a-f-]{36}', 'X') as code, count(*)::text as postings, sum(p.amount)::text as total
      from postings p join ledger_accounts l on l.id = p.ledger_account_id
     group by 1 order by 1`);
  const stream = await w.db.execute<{ seq: string; fills: string }>(sql`
    select seq::text, jsonb_array_length(payload->'fills')::text as fills
      from events where stream like 'fills:%' order by seq`);
  const fanout = await w.db.execute<{ seq: string; fills: string }>(sql`
    select seq::text, jsonb_array_length(payload->'decisions')::text as fills
      from events where stream like 'fanout:%' order by seq`);
  return {
    followers,
    ledger,
    stream,
    fanout,
    problems: await bookkeepingIntegrityProblems(w.db),
  };
}

describe("fan-out and booking side by side", () => {
  it("two at a time decide and book exactly what one at a time does", async () => {
    const one = await run(worlds[0]!, 1);
    const two = await run(worlds[1]!, 2);
    expect(one.followers).toHaveLength(N);
    expect(
      one.followers.every((f) => f.action === "placed" && f.status === "filled" && f.qty === "5"),
    ).toBe(true);
    expect(two.followers).toEqual(one.followers);
    expect(two.ledger).toEqual(one.ledger);
    expect(one.ledger.some((l) => l.code === "platform:fees")).toBe(true);
    expect(one.problems).toEqual([]);
    expect(two.problems).toEqual([]);
    // One transaction wrote the fill stream's one event; two parts wrote one each, numbered
    // 1 and 2 whichever committed first, and together they name every follower's fill.
    expect(one.stream.map((s) => s.seq)).toEqual(["1"]);
    expect(two.stream.map((s) => s.seq)).toEqual(["1", "2"]);
    const named = (s: typeof one.stream) => s.reduce((n, e) => n + Number(e.fills), 0);
    expect(named(one.stream)).toBe(N);
    expect(named(two.stream)).toBe(N);
    // The same for the fan-out: one batch of 2 400, or two of 1 200 side by side.
    expect(one.fanout.map((s) => s.seq)).toEqual(["1"]);
    expect(two.fanout.map((s) => s.seq)).toEqual(["1", "2"]);
    expect(named(one.fanout)).toBe(N);
    expect(named(two.fanout)).toBe(N);
  }, 120_000);

  it("splits into parts of whole accounts, none smaller than 1 000", () => {
    const list = Array.from({ length: 2400 }, (_, i) => i);
    expect(splitEvenly(list, 1)).toEqual([list]);
    expect(splitEvenly(list, 2).map((p) => p.length)).toEqual([1200, 1200]);
    expect(splitEvenly(list, 8).map((p) => p.length)).toEqual([1200, 1200]);
    expect(splitEvenly(list.slice(0, 1999), 2)).toEqual([list.slice(0, 1999)]);
    expect(splitEvenly(list.slice(0, 2001), 3).map((p) => p.length)).toEqual([1001, 1000]);
    expect(splitEvenly(list, 2).flat()).toEqual(list);
  });

  it("cuts a submission into parts without splitting an account, in the account's order", () => {
    const o = (a: string, n: number) => ({ order: { brokerAccountId: a }, n });
    const list = [o("a", 1), o("b", 1), o("a", 2), o("c", 1), o("b", 2), o("d", 1)];
    const parts = partsOfWholeAccounts(list, 3);
    expect(parts.map((p) => p.map((x) => `${x.order.brokerAccountId}${x.n}`))).toEqual([
      ["a1", "a2"],
      ["b1", "b2", "c1"],
      ["d1"],
    ]);
    expect(partsOfWholeAccounts([], 3)).toEqual([]);
  });
});
