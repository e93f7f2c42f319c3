import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { createTestDb } from "../../../test/db";
import { PaperBroker } from "../../brokers/paper";
import { ManualClock } from "../../domain/clock";
import { createRng } from "../../domain/random";
import { WORKER_CONFIG, silentLog, type EngineDeps } from "../deps";
import { ensureLeaderBook } from "../ingest/leader-book";
import { ingestLeaderFill } from "../ingest/leader-events";
import { pump } from "../pump";
import { upsertCatalogue } from "../../market/catalogue";
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
  const paper = new PaperBroker({ db: w.db, clock, seed: "leaders" });
  const deps: EngineDeps = {
    db: w.db,
    broker: () => paper,
    clock,
    rng: createRng("leaders"),
    log: silentLog,
    config: { ...WORKER_CONFIG, leaderConcurrency },
    owner: "leaders-worker",
  };
  await upsertCatalogue(w.db);
  await paper.onQuote({ symbol: "AAPL", bid: "199.99", ask: "200.01", at: clock.now() });
  const leaderIds: string[] = [];
  for (let l = 0; l < LEADERS; l++) {
    await w.db.execute(
      sql`insert into users (email, password_hash, display_name, role) values (${`l${l}@side`}, '!', 'Leader', 'leader')`,
    );
    await w.db.execute(
      sql`insert into broker_accounts (user_id, broker, external_id) select id, 'paper', ${`L${l}`} from users where email = ${`l${l}@side`}`,
    );
    const [row] = await w.db.execute<{ id: string }>(sql`
      insert into leaders (user_id, handle, display_name, broker_account_id, track_record_started_at)
      select u.id, ${`side-${l}`}, 'Side', a.id, ${clock.now().toISOString()}::timestamptz
        from users u join broker_accounts a on a.user_id = u.id where u.email = ${`l${l}@side`}
      returning id`);
    await ensureLeaderBook(w.db, row!.id, "1000000", clock.now());
    await paper.openAccount({ accountId: `L${l}`, cash: "1000000" });
    leaderIds.push(row!.id);
  }
  await w.db.execute(
    sql`insert into users (email, password_hash, display_name, role) select 'f' || g || '@side', '!', 'F' || g, 'follower' from generate_series(1, ${LEADERS * FOLLOWERS}) g`,
  );
  await w.db.execute(
    sql`insert into broker_accounts (user_id, broker, external_id) select id, 'paper', 'sf-' || email from users where role = 'follower'`,
  );
  await w.db.execute(
    sql`insert into account_balances (broker_account_id, currency, cash, updated_at) select id, 'USD', '100000', now() from broker_accounts where external_id like 'sf-%'`,
  );
  await w.db.execute(
    sql`insert into paper_accounts (id, currency, cash, created_at) select external_id, 'USD', '100000', now() from broker_accounts where external_id like 'sf-%'`,
  );
  // Follower g copies leader g mod LEADERS.
  await w.db
    .execute(sql`insert into copy_relationships (follower_id, leader_id, broker_account_id, status, sizing_mode, allocation, ratio, reference_capital, agreement_version, consented_at, started_at)
    select a.user_id, (${sql.param(leaderIds)}::uuid[])[1 + (substring(u.email from 2 for position('@' in u.email) - 2))::int % ${LEADERS}],
           a.id, 'active', 'proportional', '10000', '0.01', '10000', 't', now(), now()
      from broker_accounts a join users u on u.id = a.user_id where a.external_id like 'sf-%'`);
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
