import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { createTestDb } from "../../../test/db";
import { ManualClock } from "../../domain/clock";
import { D, fmt } from "../../domain/money";
import { createRng } from "../../domain/random";
import { bookEquity, copyPnl, type HeldPosition } from "../../domain/valuation";
import { WORKER_CONFIG, silentLog, type EngineDeps } from "../deps";
import { leaderEquity } from "../ingest/leader-book";
import { forgoDurability, runReplay } from "../replay/run-replay";
import { parseScenario } from "../replay/scenario";
import { shareSpec } from "../testing/scenario-parts";
import { snapshotEquity } from "./snapshots";

/*
 * The set-based snapshots (ADR 0045) against the one-owner valuations: each leader's row
 * equals `leaderEquity(…, "exit")`, each copy's its reference capital plus `copyPnl`, each
 * account's `bookEquity` with unquoted symbols at their last fill; flows are the day's
 * deposits; a copy stopped before today has no row. The world is made by a replay (real
 * engine, paper broker); one symbol's quote is then removed so the fallbacks are used.
 */
let t: Awaited<ReturnType<typeof createTestDb>>;
let deps: EngineDeps;
const q = (at: string, symbol: string, bid: string, ask: string) => ({
  at,
  type: "quote",
  symbol,
  bid,
  ask,
});

beforeAll(async () => {
  t = await createTestDb();
  await forgoDurability(t.url); // a database for this file only
  const scenario = parseScenario({
    name: "snapshots world",
    instruments: [shareSpec("AAA"), shareSpec("BBB", "10")],
    leader: { id: "L", cash: "100000" },
    followers: [
      {
        id: "F1",
        cash: "20000",
        copy: {
          sizing: { mode: "proportional", allocation: "10000" },
          onInsufficientFunds: "reduce",
        },
      },
      {
        id: "F2",
        cash: "20000",
        copy: { sizing: { mode: "multiplier", factor: "0.2" }, onInsufficientFunds: "reduce" },
      },
      {
        id: "F3",
        cash: "20000",
        copy: { sizing: { mode: "multiplier", factor: "0.1" }, onInsufficientFunds: "reduce" },
      },
    ],
    events: [
      q("2026-01-05T14:30:00Z", "AAA", "99.98", "100.02"),
      q("2026-01-05T14:30:00Z", "BBB", "49.99", "50.01"),
      {
        at: "2026-01-05T14:30:01Z",
        type: "leader_fill",
        fillId: "f1",
        orderId: "o1",
        symbol: "AAA",
        side: "buy",
        qty: "50",
        price: "100",
      },
      {
        at: "2026-01-05T14:30:02Z",
        type: "leader_fill",
        fillId: "f2",
        orderId: "o2",
        symbol: "BBB",
        side: "sell",
        qty: "20",
        price: "50",
      },
      { at: "2026-01-05T14:31:00Z", type: "cash", account: "L", amount: "2500" },
      { at: "2026-01-05T14:31:01Z", type: "cash", account: "F1", amount: "750.5" },
      { at: "2026-01-05T14:32:00Z", type: "copy_action", follower: "F3", action: "stop" },
      q("2026-01-05T14:33:00Z", "AAA", "97.31", "97.35"),
      q("2026-01-05T14:33:00Z", "BBB", "51.2", "51.26"),
      {
        at: "2026-01-05T14:34:00Z",
        type: "leader_fill",
        fillId: "f3",
        orderId: "o3",
        symbol: "BBB",
        side: "sell",
        qty: "10",
        price: "51.22",
      },
    ],
  });
  await runReplay(t.db, scenario);
  // BBB loses its quote: leaders at their last fill, accounts at the last fill, copies at cost.
  await t.db.execute(sql`delete from quotes where symbol = 'BBB'`);
  deps = {
    db: t.db,
    broker: () => {
      throw new Error("snapshots never call a broker");
    },
    clock: new ManualClock(new Date("2026-01-05T23:00:00Z")),
    rng: createRng("snap"),
    log: silentLog,
    config: WORKER_CONFIG,
    owner: "test",
  };
}, 120_000);

afterAll(async () => {
  await t?.drop();
});

type Snap = { owner_type: string; owner_id: string; equity: string; net_flow: string };

describe("equity snapshots, set-based", () => {
  it("equal the one-owner valuations, with the day's flows", async () => {
    const n = await snapshotEquity(deps);
    const snaps = await t.db.execute<Snap>(
      sql`select owner_type, owner_id, equity::text, net_flow::text from equity_snapshots where day = '2026-01-05'`,
    );
    expect(snaps.length).toBe(n);
    const of = (type: string, id: string) =>
      snaps.find((s) => s.owner_type === type && s.owner_id === id);

    const [leader] = await t.db.execute<{ id: string }>(sql`select id from leaders`);
    expect(fmt(of("leader", leader!.id)!.equity)).toBe(
      fmt(await leaderEquity(t.db, leader!.id, "exit")),
    );
    expect(fmt(of("leader", leader!.id)!.net_flow)).toBe("2500");

    const quotes = new Map(
      (
        await t.db.execute<{ symbol: string; bid: string; ask: string }>(
          sql`select symbol, bid, ask from quotes`,
        )
      ).map((x) => [x.symbol, x]),
    );
    const mult = new Map([
      ["AAA", "1"],
      ["BBB", "10"],
    ]);
    const rels = await t.db.execute<{ id: string; ref: string; status: string }>(
      sql`select id, reference_capital as ref, status from copy_relationships`,
    );
    expect(rels.length).toBe(3);
    for (const r of rels) {
      const held = await t.db.execute<HeldPosition>(sql`
        select symbol, qty::text, avg_cost as "avgCost", realized_pnl as "realizedPnl", fees from copy_positions where relationship_id = ${r.id}`);
      expect(held.length, `copy ${r.id} holds something`).toBeGreaterThan(0);
      expect(fmt(of("copy", r.id)!.equity)).toBe(fmt(D(r.ref).plus(copyPnl(held, quotes, mult))));
    }

    const accounts = await t.db.execute<{ id: string; cash: string; ext: string }>(sql`
      select b.broker_account_id as id, b.cash, a.external_id as ext from account_balances b join broker_accounts a on a.id = b.broker_account_id`);
    expect(accounts.length).toBe(3);
    const lastBbb = await t.db.execute<{ price: string }>(sql`
      select f.price from fills f join orders o on o.id = f.order_id where o.symbol = 'BBB' order by f.filled_at desc limit 1`);
    for (const a of accounts) {
      const ps = await t.db.execute<{ symbol: string; qty: string; avg_cost: string }>(
        sql`select symbol, qty::text, avg_cost from positions where broker_account_id = ${a.id} and qty <> 0`,
      );
      const expected = bookEquity({
        cash: a.cash,
        positions: ps.map((p) => ({
          ...p,
          lastPrice: p.symbol === "BBB" ? lastBbb[0]!.price : p.avg_cost,
        })),
        quotes,
        multipliers: mult,
      });
      expect(fmt(of("follower", a.id)!.equity), a.ext).toBe(fmt(expected));
      expect(fmt(of("follower", a.id)!.net_flow), a.ext).toBe(a.ext === "F1" ? "750.5" : "0");
    }
    expect(n).toBe(1 + 3 + 3);
  });

  it("leaves out a copy stopped before today, and rewrites the day's rows in place", async () => {
    await t.db.execute(
      sql`update copy_relationships set stopped_at = '2026-01-04T12:00:00Z' where status = 'stopped'`,
    );
    expect(await snapshotEquity(deps)).toBe(1 + 2 + 3);
    const [count] = await t.db.execute<{ n: string }>(
      sql`select count(*)::text as n from equity_snapshots where day = '2026-01-05'`,
    );
    // The stopped copy's row from the first run stays (history), nothing is duplicated.
    expect(count!.n).toBe("7");
  });
});
