import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Db } from "../../../db/client";
import { createTestDb } from "../../../test/db";
import { AAPL_SPEC as AAPL } from "../testing/scenario-parts";
import { runReplay } from "./run-replay";
import { parseScenario, type Scenario } from "./scenario";

/**
 * A replay skips the pump pass before an event when the engine was left quiescent and the
 * clock made nothing due (`work-due.ts`). That must change nothing: each scenario here runs
 * twice, once with a pass before every event, and the two runs must agree on the report AND
 * on what the engine and the broker wrote (orders with their attempts and times, fills,
 * decisions, the event log, the broker's own events, reconciliation items).
 */
let a: Awaited<ReturnType<typeof createTestDb>>;
let b: Awaited<ReturnType<typeof createTestDb>>;
beforeEach(async () => {
  [a, b] = await Promise.all([createTestDb(), createTestDb()]);
});
afterEach(() => Promise.all([a.drop(), b.drop()]));

const at = (s: number) => new Date(Date.UTC(2026, 0, 5, 14, 30, s)).toISOString();
const quote = (s: number, bid: string, ask: string) => ({
  at: at(s),
  type: "quote",
  symbol: "AAPL",
  bid,
  ask,
});
const fill = (s: number, id: string, side: "buy" | "sell", qty: string, price: string) => ({
  at: at(s),
  type: "leader_fill",
  fillId: id,
  orderId: `o-${id}`,
  symbol: "AAPL",
  side,
  qty,
  price,
});
const copy = {
  sizing: { mode: "proportional", allocation: "10000" },
  onInsufficientFunds: "reduce",
};

/**
 * Retries that come due between events (transient errors with backoff), a timeout resolved
 * by asking, lost and doubled events, working orders filled by later quotes, a stop that
 * cancels a working order, and a reconciliation.
 */
const faulty = parseScenario({
  name: "idle passes",
  instruments: [AAPL],
  leader: { id: "L", cash: "100000" },
  followers: ["E", "T", "D", "U", "W", "X"].map((id) => ({ id, cash: "20000", copy })),
  events: [
    quote(0, "189.98", "190.02"),
    { at: at(1), type: "fault", account: "E", fault: "error_before_accept", count: 3 },
    { at: at(1), type: "fault", account: "T", fault: "timeout_after_accept", count: 1 },
    { at: at(1), type: "fault", account: "D", fault: "drop_events", count: 2 },
    { at: at(1), type: "fault", account: "U", fault: "duplicate_events", count: 2 },
    fill(2, "f-1", "buy", "30", "190.00"),
    quote(3, "190.10", "190.14"),
    quote(4, "190.20", "190.24"),
    { at: at(5), type: "liquidity", symbol: "AAPL", maxFillQty: "1" },
    fill(6, "f-2", "buy", "40", "190.20"),
    quote(7, "190.30", "190.34"),
    { at: at(9), type: "copy_action", follower: "W", action: "stop" },
    quote(10, "190.40", "190.44"),
    quote(11, "190.50", "190.54"),
    { at: at(12), type: "reconcile" },
    { at: at(13), type: "liquidity", symbol: "AAPL", maxFillQty: null },
    fill(14, "f-3", "sell", "20", "190.60"),
    quote(15, "190.60", "190.64"),
    quote(16, "190.70", "190.74"),
  ],
});

/** What the engine and the paper broker wrote, without the ids the database draws at random. */
async function written(db: Db) {
  const rows = async (q: ReturnType<typeof sql>) => [...(await db.execute(q))];
  return {
    orders: await rows(sql`
      select o.client_order_id, o.symbol, o.side, o.qty, o.status, o.filled_qty, o.avg_price,
             o.attempts, o.next_attempt_at, o.cancel_requested_at, o.reject_reason, o.origin,
             o.created_at, o.updated_at
        from orders o order by o.client_order_id`),
    fills: await rows(sql`
      select o.client_order_id, f.broker_trade_id, f.qty, f.price, f.fee, f.filled_at
        from fills f join orders o on o.id = f.order_id order by f.broker_trade_id`),
    decisions: await rows(sql`
      select relationship_id, leader_fill_id, symbol, target, order_qty, action, reason, client_order_id
        from copy_decisions order by relationship_id, leader_event_seq, symbol, client_order_id`),
    events: await rows(sql`select stream, seq, type, at from events order by stream, seq`),
    brokerEvents: await rows(sql`
      select account_id, seq, event, deliver_at, dropped, copies, swap_with_next
        from paper_events order by account_id, seq`),
    reconciliation: await rows(sql`
      select kind, symbol, expected, actual, action, at from reconciliation_items
       order by at, kind, symbol, expected, actual`),
  };
}

async function bothWays(scenario: Scenario) {
  const [skipping, everyPass] = await Promise.all([
    runReplay(a.db, scenario),
    runReplay(b.db, scenario, { everyPass: true }),
  ]);
  expect(skipping).toEqual(everyPass);
  expect(await written(a.db)).toEqual(await written(b.db));
  return skipping;
}

describe("skipping idle passes changes nothing", () => {
  it("faults, retries due between events, working orders and a cancel", async () => {
    const report = await bothWays(faulty);
    // The scenario exercises what it is meant to: retries, a resolved timeout, a cancel.
    expect(report.followers.E!.brokerCalls.submit).toBeGreaterThan(2);
    expect(report.followers.T!.brokerCalls.query).toBeGreaterThan(0);
    expect(report.followers.W!.status).toBe("stopped");
    expect(report.followers.W!.brokerCalls.cancel).toBeGreaterThan(0);
  });

  const dir = path.resolve(import.meta.dirname, "../../../scenarios");
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()) {
    it(`scenarios/${file}`, async () => {
      await bothWays(parseScenario(JSON.parse(readFileSync(path.join(dir, file), "utf8"))));
    });
  }
});
