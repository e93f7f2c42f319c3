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
