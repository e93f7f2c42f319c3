import { sql } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { accountBalances, brokerAccounts, instruments, leaders, users } from "../../../db/schema";
import { PaperBroker } from "../../brokers/paper";
import { ManualClock } from "../../domain/clock";
import { createRng } from "../../domain/random";
import { startCopy } from "../copies/intents";
import { upsertCatalogue } from "../../market/catalogue";
import {
  DEFAULT_CONFIG,
  WORKER_CONFIG,
  silentLog,
  type EngineConfig,
  type EngineDeps,
} from "../deps";
import { ensureLeaderBook } from "../ingest/leader-book";

/** A small engine world for tests: one instrument, one leader, n funded followers copying. */
export async function makeWorld(
  db: Db,
  opts: { followers: number; config?: Partial<EngineConfig>; allocation?: string },
) {
  const clock = new ManualClock(new Date("2026-03-02T15:00:00Z"));
  const paper = new PaperBroker({ db, clock, seed: "world" });
  const deps: EngineDeps = {
    db,
    broker: () => paper,
    clock,
    rng: createRng("world"),
    log: silentLog,
    config: { ...DEFAULT_CONFIG, ...opts.config },
    owner: "test",
  };
  await db.insert(instruments).values({
    symbol: "XYZ",
    name: "XYZ",
    assetClass: "equity",
    currency: "USD",
    tickSize: "0.01",
    qtyStep: "1",
    minQty: "1",
    minNotional: "1",
    tradingHours: { timeZone: "UTC", sessions: [] },
  });
  await paper.onQuote({ symbol: "XYZ", bid: "99.95", ask: "100.05", at: clock.now() });
  const [lu] = await db
    .insert(users)
    .values({ email: "leader@world.test", passwordHash: "!", displayName: "L", role: "leader" })
    .returning();
  const [la] = await db
    .insert(brokerAccounts)
    .values({ userId: lu!.id, broker: "paper", externalId: "L" })
    .returning();
  await paper.openAccount({ accountId: "L", cash: "100000" });
  const [leader] = await db
    .insert(leaders)
    .values({
      userId: lu!.id,
      handle: "world",
      displayName: "L",
      brokerAccountId: la!.id,
      trackRecordStartedAt: clock.now(),
    })
    .returning();
  await ensureLeaderBook(db, leader!.id, "100000", clock.now());
  const followers: Array<{ accountId: string; relationshipId: string }> = [];
  for (let i = 0; i < opts.followers; i++) {
    const [u] = await db
      .insert(users)
      .values({
        email: `f${i}@world.test`,
        passwordHash: "!",
        displayName: `F${i}`,
        role: "follower",
      })
      .returning();
    const [a] = await db
      .insert(brokerAccounts)
      .values({ userId: u!.id, broker: "paper", externalId: `F${i}` })
      .returning();
    await paper.openAccount({ accountId: `F${i}`, cash: "50000" });
    await db
      .insert(accountBalances)
      .values({ brokerAccountId: a!.id, currency: "USD", cash: "50000", updatedAt: clock.now() });
    const relationshipId = await startCopy(deps, {
      followerId: u!.id,
      leaderId: leader!.id,
      brokerAccountId: a!.id,
      sizing: { mode: "proportional", allocation: opts.allocation ?? "10000" },
      agreementVersion: "t",
    });
    followers.push({ accountId: a!.id, relationshipId });
  }
  return { deps, paper, clock, leaderId: leader!.id, followers };
}

/**
 * The worker's engine as it runs in production, for tests: the paper broker over the real
 * instrument catalogue, the worker's settings, and one quote in so the market has a price.
 */
export async function paperEngine(
  db: Db,
  clock: ManualClock,
  seed: string,
  quote: { symbol: string; bid: string; ask: string },
): Promise<{ paper: PaperBroker; deps: EngineDeps }> {
  const paper = new PaperBroker({ db, clock, seed });
  const deps: EngineDeps = {
    db,
    broker: () => paper,
    clock,
    rng: createRng(seed),
    log: silentLog,
    config: WORKER_CONFIG,
    owner: `${seed}-worker`,
  };
  await upsertCatalogue(db);
  await paper.onQuote({ ...quote, at: clock.now() });
  return { paper, deps };
}

/** A user row with no password (tests act as them through callers, never by signing in). */
export async function insertUser(db: Db, email: string, role: "leader" | "follower") {
  const [u] = await db
    .insert(users)
    .values({ email, passwordHash: "!", displayName: email, role })
    .returning();
  return u!;
}

/**
 * Leaders and many followers written in bulk, for tests at fan-out sizes (thousands of
 * copies in a few statements, where `makeWorld` starts each copy through the web's intent):
 * `leaders` leaders with 1 000 000 each at the paper broker, `leaders × followersPerLeader`
 * followers with 100 000 each, follower g copying leader g mod `leaders` proportionally at
 * r = 0.01. Returns the leaders' ids in order.
 */
export async function insertCopiedLeaders(
  db: Db,
  paper: PaperBroker,
  clock: ManualClock,
  opts: { tag: string; leaders: number; followersPerLeader: number; platformFeeBps?: string },
): Promise<string[]> {
  const { tag } = opts;
  const leaderIds: string[] = [];
  for (let l = 0; l < opts.leaders; l++) {
    const u = await insertUser(db, `l${l}@${tag}`, "leader");
    const [a] = await db
      .insert(brokerAccounts)
      .values({ userId: u.id, broker: "paper", externalId: `${tag}-L${l}` })
      .returning();
    const [leader] = await db
      .insert(leaders)
      .values({
        userId: u.id,
        handle: `${tag}-${l}`,
        displayName: `Leader ${l}`,
        brokerAccountId: a!.id,
        trackRecordStartedAt: clock.now(),
      })
      .returning();
    await ensureLeaderBook(db, leader!.id, "1000000", clock.now());
    await paper.openAccount({ accountId: `${tag}-L${l}`, cash: "1000000" });
    leaderIds.push(leader!.id);
  }
  const n = opts.leaders * opts.followersPerLeader;
  const prefix = `${tag}-f`;
  await db.execute(
    sql`insert into users (email, password_hash, display_name, role) select 'f' || g || '@' || ${tag}, '!', 'F' || g, 'follower' from generate_series(1, ${n}) g`,
  );
  await db.execute(
    sql`insert into broker_accounts (user_id, broker, external_id) select id, 'paper', ${prefix} || substring(email from 2 for position('@' in email) - 2) from users where role = 'follower' and email like ${`%@${tag}`}`,
  );
  await db.execute(
    sql`insert into account_balances (broker_account_id, currency, cash, updated_at) select id, 'USD', '100000', ${clock.now().toISOString()}::timestamptz from broker_accounts where external_id like ${`${prefix}%`}`,
  );
  await db.execute(
    sql`insert into paper_accounts (id, currency, cash, created_at) select external_id, 'USD', '100000', ${clock.now().toISOString()}::timestamptz from broker_accounts where external_id like ${`${prefix}%`}`,
  );
  await db.execute(sql`
    insert into copy_relationships (follower_id, leader_id, broker_account_id, status, sizing_mode, allocation, ratio, reference_capital, agreement_version, consented_at, started_at, platform_fee_bps)
    select a.user_id, (${sql.param(leaderIds)}::uuid[])[1 + substring(a.external_id from ${prefix.length + 1}::int)::int % ${opts.leaders}],
           a.id, 'active', 'proportional', '10000', '0.01', '10000', 't', now(), now(), ${opts.platformFeeBps ?? null}::numeric
      from broker_accounts a where a.external_id like ${`${prefix}%`}`);
  return leaderIds;
}
