import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { createTestDb } from "../../../test/db";
import { ManualClock } from "../../domain/clock";
import { D, fmt } from "../../domain/money";
import { createRng } from "../../domain/random";
import { copyStopLossHit } from "../../domain/risk";
import { copyPnl, type HeldPosition } from "../../domain/valuation";
import { WORKER_CONFIG, silentLog, type EngineDeps } from "../deps";
import { checkCopyStopLoss, STOP_LOSS_MARGIN_PCT, stopLossCandidates } from "./stops";

/*
 * The copy stop-loss asks PostgreSQL for the copies near their limit and decides in memory
 * with the one valuation and the one rule (ADR 0045). The pre-filter must never hide a copy
 * the rule would stop: here the rule is applied to EVERY copy (the full scan the pre-filter
 * replaced) and the stops must be exactly those, quote after quote, on random books with
 * several symbols, multipliers, an unquoted symbol, fees charged and copies exactly at the limit.
 */
let t: Awaited<ReturnType<typeof createTestDb>>;
let deps: EngineDeps;
const N = 40;

beforeAll(async () => {
  t = await createTestDb();
  const clock = new ManualClock(new Date("2026-03-03T15:00:00Z"));
  deps = {
    db: t.db,
    broker: () => {
      throw new Error("the stop-loss check itself never calls a broker");
    },
    clock,
    rng: createRng("stops-test"),
    log: silentLog,
    config: WORKER_CONFIG,
    owner: "test",
  };
  const db = t.db;
  await db.execute(sql`insert into instruments (symbol, name, asset_class, currency, tick_size, qty_step, min_qty, min_notional, multiplier, commission_per_unit, trading_hours)
    values ('AAA', 'A', 'equity', 'USD', '0.01', '1', '1', '1', '1', '0', '{"timeZone":"UTC","sessions":[]}'),
           ('BBB', 'B', 'future', 'USD', '0.01', '1', '1', '1', '10', '0', '{"timeZone":"UTC","sessions":[]}'),
           ('CCC', 'C', 'equity', 'USD', '0.01', '1', '1', '1', '1', '0', '{"timeZone":"UTC","sessions":[]}')`);
  await db.execute(
    sql`insert into quotes (symbol, bid, ask, at) values ('AAA', '100', '100.02', now()), ('BBB', '50', '50.01', now())`,
  );
  await db.execute(
    sql`insert into users (email, password_hash, display_name, role) values ('l@stops.test', '!', 'L', 'leader')`,
  );
  await db.execute(
    sql`insert into broker_accounts (user_id, broker, external_id) select id, 'paper', 'L' from users where role = 'leader'`,
  );
  await db.execute(sql`insert into leaders (user_id, handle, display_name, broker_account_id, track_record_started_at)
    select u.id, 'l', 'L', a.id, now() from users u join broker_accounts a on a.user_id = u.id where u.role = 'leader'`);
  await db.execute(
    sql`insert into users (email, password_hash, display_name, role) select 'f' || g || '@stops.test', '!', 'F' || g, 'follower' from generate_series(1, ${N}) g`,
  );
  await db.execute(
    sql`insert into broker_accounts (user_id, broker, external_id) select id, 'paper', 'f-' || id from users where role = 'follower'`,
  );
  // Reference capital 10 000; stop-loss 5–20 %, except every seventh copy, which has none.
  await db.execute(sql`insert into copy_relationships (follower_id, leader_id, broker_account_id, status, sizing_mode, allocation, ratio, reference_capital, copy_stop_loss_pct, fees_charged, agreement_version, consented_at, started_at)
    select a.user_id, (select id from leaders), a.id, case when row_number() over (order by a.id) % 11 = 0 then 'paused' else 'active' end::copy_status,
           'proportional', '10000', '0.01', '10000',
           case when row_number() over (order by a.id) % 7 = 0 then null else (5 + row_number() over (order by a.id) % 16)::numeric end,
           (row_number() over (order by a.id) % 5)::numeric * 3.25,
           'test', now(), now()
      from broker_accounts a where a.external_id like 'f-%'`);
  const rels = await db.execute<{ id: string; pct: string | null }>(
    sql`select id, copy_stop_loss_pct as pct from copy_relationships order by id`,
  );
  const rng = createRng("stops-books");
  const money = (max: number) => fmt(D(Math.floor(rng.next() * max * 100)).div(100));
  for (const [k, r] of rels.entries()) {
    const rows: string[][] = [];
    if (k < 2) {
      // The two edge copies: limit 10 %, 3.25 charged, live (ids are random, so set here).
      r.pct = "10";
      await db.execute(
        sql`update copy_relationships set copy_stop_loss_pct = '10', fees_charged = '3.25', status = 'active' where id = ${r.id}`,
      );
    }
    if (k === 0 && r.pct) {
      // Exactly at the limit already (nothing held in AAA, a realized loss there): stopped.
      rows.push(["AAA", "0", "0", fmt(D(r.pct).times(-100).plus("3.25")), "0"]);
    } else if (k === 1 && r.pct) {
      // A hundred-millionth above its limit (fees charged 3.25): not stopped, but looked at.
      rows.push(["AAA", "0", "0", fmt(D(r.pct).times(-100).plus("3.25").plus("0.00000001")), "0"]);
    } else {
      const qty = Math.floor(rng.next() * 200) - 60;
      rows.push(["AAA", String(qty), money(120), money(2000 * (rng.next() - 0.5)), money(5)]);
      if (rng.next() < 0.5)
        rows.push(["BBB", String(Math.floor(rng.next() * 20) - 5), money(60), "0", money(3)]);
      if (rng.next() < 0.3) rows.push(["CCC", "7", money(40), "0", "0"]);
    }
    for (const [symbol, qty, avg, realized, fees] of rows)
      await db.execute(sql`insert into copy_positions (relationship_id, symbol, qty, avg_cost, realized_pnl, fees)
        values (${r.id}, ${symbol}, ${qty}, ${avg}, ${realized}, ${fees})`);
  }
}, 60_000);

afterAll(async () => {
  await t?.drop();
});

/** The rule applied to every live copy with a stop-loss that holds AAA: the full scan. */
async function expectedStops(): Promise<Set<string>> {
  const rels = await t.db.execute<{ id: string; ref: string; pct: string; charged: string }>(sql`
    select c.id, c.reference_capital as ref, c.copy_stop_loss_pct as pct, c.fees_charged as charged
      from copy_relationships c
     where c.status in ('active','paused') and c.copy_stop_loss_pct is not null
       and exists (select 1 from copy_positions p where p.relationship_id = c.id and p.symbol = 'AAA' and (p.qty <> 0 or p.realized_pnl <> 0))`);
  const held = await t.db.execute<HeldPosition & { relationship_id: string }>(sql`
    select relationship_id, symbol, qty::text, avg_cost as "avgCost", realized_pnl as "realizedPnl", fees from copy_positions`);
  const quotes = new Map(
    (
      await t.db.execute<{ symbol: string; bid: string; ask: string }>(
        sql`select symbol, bid, ask from quotes`,
      )
    ).map((q) => [q.symbol, q]),
  );
  const mult = new Map([
    ["AAA", "1"],
    ["BBB", "10"],
    ["CCC", "1"],
  ]);
  const out = new Set<string>();
  for (const r of rels) {
    const pnl = copyPnl(
      held.filter((p) => p.relationship_id === r.id),
      quotes,
      mult,
    );
    if (copyStopLossHit({ pnl: pnl.minus(r.charged), referenceCapital: r.ref, pct: r.pct }))
      out.add(r.id);
  }
  return out;
}

describe("copy stop-loss: SQL pre-filter, then the one rule", () => {
  it("stops exactly the copies the rule stops, quote after quote as AAA falls", async () => {
    let total = 0;
    for (const bid of ["100", "96.5", "91.13", "84", "70.01"]) {
      await t.db.execute(
        sql`update quotes set bid = ${bid}, ask = ${fmt(D(bid).plus("1.5"))} where symbol = 'AAA'`,
      );
      const expected = await expectedStops();
      const candidates = await stopLossCandidates(t.db, "AAA");
      for (const id of expected) expect(candidates.copies.has(id), `candidate ${id}`).toBe(true);
      // With no margin, PostgreSQL's exact arithmetic gives exactly the rule's set.
      const exact = await stopLossCandidates(t.db, "AAA", 0);
      expect(new Set(exact.copies.keys())).toEqual(expected);
      const stopped = await checkCopyStopLoss(deps, "AAA");
      expect(new Set(stopped)).toEqual(expected);
      const statuses = await t.db.execute<{ n: string }>(
        sql`select count(*)::text as n from copy_relationships where status = 'stopped' and stop_reason = 'COPY_STOP_LOSS'`,
      );
      total += stopped.length;
      expect(Number(statuses[0]!.n)).toBe(total);
    }
    // The walk down must have stopped some copies, and not all of them, for the test to mean anything.
    expect(total).toBeGreaterThan(2);
    const live = await t.db.execute<{ n: string }>(
      sql`select count(*)::text as n from copy_relationships where status <> 'stopped' and copy_stop_loss_pct is not null`,
    );
    expect(Number(live[0]!.n)).toBeGreaterThan(2);
    // The copy a hundred-millionth above its limit is still live; the one at it is stopped.
    const edge = await t.db.execute<{ status: string }>(
      sql`select status from copy_relationships order by id limit 2`,
    );
    expect(edge.map((e) => e.status)).toEqual(["stopped", "active"]);
  });

  it("returns only copies near their limit: far ones never leave PostgreSQL", async () => {
    await t.db.execute(sql`update quotes set bid = '100', ask = '100.02' where symbol = 'AAA'`);
    const { copies } = await stopLossCandidates(t.db, "AAA");
    const limited = await t.db.execute<{
      id: string;
      ref: string;
      pct: string;
      charged: string;
    }>(sql`
      select id, reference_capital as ref, copy_stop_loss_pct as pct, fees_charged as charged from copy_relationships
       where status <> 'stopped' and copy_stop_loss_pct is not null`);
    expect(copies.size).toBeLessThan(limited.length);
    const quotes = new Map([
      ["AAA", { bid: "100", ask: "100.02" }],
      ["BBB", { bid: "50", ask: "50.01" }],
    ]);
    const mult = new Map([["BBB", "10"]]);
    for (const [id, c] of copies) {
      const r = limited.find((x) => x.id === id)!;
      const lossPct = copyPnl(c.held, quotes, mult).minus(r.charged).div(r.ref).times(-100);
      expect(lossPct.gte(D(r.pct).minus(STOP_LOSS_MARGIN_PCT)), `${id} is near its limit`).toBe(
        true,
      );
    }
  });
});
