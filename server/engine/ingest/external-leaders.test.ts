import { randomBytes } from "node:crypto";
import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb } from "../../../test/db";
import { provenViewer } from "../../../test/second-factor";
import * as s from "../../../db/schema";
import { ALPACA_TEST_INSTRUMENTS } from "../../brokers/contract/alpaca-harness";
import { AlpacaGateway } from "../../brokers/alpaca/gateway/gateway";
import type { AlpacaBroker } from "../../brokers/alpaca/adapter";
import { createAlpacaBroker, localGatewayKey } from "../../brokers/alpaca/accounts";
import { accountBreakerKey, syncAlpacaAccounts } from "../../brokers/alpaca/account-sync";
import { PaperBroker } from "../../brokers/paper/paper-broker";
import { systemClock } from "../../domain/clock";
import { D } from "../../domain/money";
import { createRng } from "../../domain/random";
import { createCaller } from "../../api/root";
import { AGREEMENT_VERSION } from "../../queries/copies";
import { DEFAULT_CONFIG, silentLog, type EngineDeps } from "../deps";
import { NO_LIMITS } from "../testing/limits";
import { pump } from "../pump";
import { reconcile } from "../reconcile/reconcile";
import { loadAttribution } from "../ops/attribution";
import { startExternalLeaders, type ExternalLeaders } from "./external-leaders";

/**
 * Alpaca end to end over the local gateway: accounts connected through the brokers router
 * (verified, sealed), a leader trading in "Alpaca's own app" (orders sent straight to the
 * gateway with the leader's key, never through Tandem), the leader's fills ingested through
 * the one ingestion path exactly once whatever the stream does, and a follower's Alpaca
 * account copying them through the real engine.
 */

let t: Awaited<ReturnType<typeof createTestDb>>;
let gateway: AlpacaGateway;
let paper: PaperBroker;
let alpaca: AlpacaBroker;
let deps: EngineDeps;
let external: ExternalLeaders;
const seed = "test-seed";

type Key = { account_id: string; key_id: string; secret_key: string };

async function newGatewayAccount(cash: string, tradingBlocked = false): Promise<Key> {
  const r = await fetch(`${gateway.url}/local/accounts`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ cash, tradingBlocked }),
  });
  expect(r.status).toBe(201);
  return (await r.json()) as Key;
}

/** What Alpaca's own app does: an order straight to Alpaca with the account's key. */
async function tradeInAlpacaApp(k: Key, side: "buy" | "sell", qty: string, id: string) {
  const r = await fetch(`${gateway.url}/v2/orders`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "APCA-API-KEY-ID": k.key_id,
      "APCA-API-SECRET-KEY": k.secret_key,
    },
    body: JSON.stringify({
      symbol: "BTC/USD",
      qty,
      side,
      type: "market",
      time_in_force: "gtc",
      client_order_id: id,
    }),
  });
  expect(r.status).toBe(200);
}

async function quote(mid: string) {
  await new Promise((r) => setTimeout(r, 2));
  const m = D(mid);
  await gateway.setQuote(
    "BTC-USD",
    m.minus("0.05").toFixed(2),
    m.plus("0.05").toFixed(2),
    new Date(),
  );
}

async function user(email: string, role: "leader" | "follower") {
  const [u] = await t.db
    .insert(s.users)
    .values({ email, passwordHash: "!", displayName: email, role })
    .returning();
  // A leader has a second factor and has just proved it: connecting a broker is a step-up action.
  if (role === "leader") return provenViewer(t.db, u!.id);
  return { id: u!.id, email, name: email, role };
}

/** The seam's account id of a connected account: Alpaca's own id of it. */
async function seamId(brokerAccountId: string) {
  const [a] = await t.db
    .select()
    .from(s.brokerAccounts)
    .where(eq(s.brokerAccounts.id, brokerAccountId));
  return a!.externalId;
}

const as = (viewer: Awaited<ReturnType<typeof user>>) => createCaller({ db: t.db, viewer });

/** The engine and the leader loop until nothing moves and every copy order is final. */
async function settle(ms = 15_000) {
  const until = Date.now() + ms;
  let idleSince = Date.now();
  for (;;) {
    await external.tick();
    await external.settled();
    const moved = await pump(deps);
    const [open] = await t.db.execute<{ n: number }>(
      sql`select count(*)::int as n from orders where status not in ('filled','cancelled','rejected','expired')`,
    );
    if (moved === 0 && open!.n === 0) return;
    if (moved > 0) idleSince = Date.now();
    // A stream message lost while connected is a gap the worker's periodic reconciliation
    // repairs (docs/adr/0020): do what the worker does, sooner.
    else if (Date.now() - idleSince > 1000) {
      await reconcile(deps, "periodic");
      idleSince = Date.now();
    }
    if (Date.now() > until) {
      const rows = await t.db.execute(
        sql`select client_order_id, status, qty, filled_qty, attempts, next_attempt_at, reject_reason, origin from orders where status not in ('filled','cancelled','rejected','expired')`,
      );
      const fills = await t.db.select().from(s.leaderFills);
      throw new Error(`not settled: ${JSON.stringify(rows)} leader fills ${fills.length}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

let leaderKey: Key;
let followerKey: Key;
let leaderId = "";
let followerAccountId = "";
let relationshipId = "";

beforeAll(async () => {
  t = await createTestDb();
  process.env.TANDEM_SECRET_KEY = randomBytes(32).toString("hex");
  // BTC-USD pays a commission at the gateway's paper broker: Alpaca's crypto fees, posted as
  // CFEE activities apart from the fills, which reconciliation books as charges.
  await t.db
    .insert(s.instruments)
    .values(
      ALPACA_TEST_INSTRUMENTS.map((i) =>
        i.symbol === "BTC-USD" ? { ...i, commissionPerUnit: "0.5" } : i,
      ),
    );
  await t.db
    .insert(s.instrumentAliases)
    .values([{ broker: "alpaca", brokerSymbol: "BTC/USD", symbol: "BTC-USD" }]);
  paper = new PaperBroker({ db: t.db, clock: systemClock, seed: 7 });
  gateway = await AlpacaGateway.start({
    db: t.db,
    paper,
    strict: true,
    rateLimitPerMinute: 100_000,
    admin: { keyFor: (id) => localGatewayKey(seed, id) },
  });
  process.env.TANDEM_ALPACA_URL = gateway.url;
  alpaca = createAlpacaBroker(t.db);
  deps = {
    db: t.db,
    broker: (name) => {
      if (name === "alpaca") return alpaca;
      throw new Error(`no broker ${name} here`);
    },
    clock: systemClock,
    rng: createRng("alpaca-e2e"),
    log: silentLog,
    config: { ...DEFAULT_CONFIG, backoffBaseMs: 20, backoffMaxMs: 200 },
    owner: "test",
  };
  external = startExternalLeaders(deps, alpaca, { pollMs: 0 });
  await quote("100");
}, 60_000);

afterAll(async () => {
  await external?.stop();
  await alpaca?.close();
  await gateway?.close();
  expect(gateway.violations).toEqual([]);
  await t.drop();
});

describe("connecting an Alpaca account", () => {
  it("verifies at Alpaca before saving, seals the secret, never returns it, audits", async () => {
    const f = await user("follower@alpaca.test", "follower");
    followerKey = await newGatewayAccount("50000");
    const bad = as(f).brokers.connect({
      broker: "alpaca",
      mode: "paper",
      keyId: followerKey.key_id,
      secret: "x".repeat(40),
    });
    await expect(bad).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(bad).rejects.toThrow(/did not accept this key/);
    const blocked = await newGatewayAccount("50000", true);
    await expect(
      as(f).brokers.connect({
        broker: "alpaca",
        mode: "paper",
        keyId: blocked.key_id,
        secret: blocked.secret_key,
      }),
    ).rejects.toThrow(/trading is blocked.*Nothing was saved/);
    expect(await t.db.select().from(s.brokerAccounts)).toHaveLength(0);

    const ok = await as(f).brokers.connect({
      broker: "alpaca",
      mode: "paper",
      keyId: followerKey.key_id,
      secret: followerKey.secret_key,
      label: "My Alpaca",
    });
    followerAccountId = ok.id;
    expect(ok.buyingPower).toBe("50000");
    const [row] = await t.db.select().from(s.brokerAccounts).where(eq(s.brokerAccounts.id, ok.id));
    expect(row!.apiSecretSealed).toMatch(/^v1:/);
    expect(row!.apiSecretSealed).not.toContain(followerKey.secret_key);
    const mine = await as(f).brokers.mine();
    expect(JSON.stringify(mine)).not.toContain(followerKey.secret_key);
    expect(mine[0]).toMatchObject({
      broker: "alpaca",
      mode: "paper",
      cash: "50000",
      connected: true,
    });
    expect(mine[0]!.keyId).toBe(`PK…${followerKey.key_id.slice(-4)}`);
    const audit = await t.db
      .select()
      .from(s.auditLog)
      .where(eq(s.auditLog.action, "broker.connect"));
    expect(audit).toHaveLength(1);
    expect(JSON.stringify(audit)).not.toContain(followerKey.secret_key);
    // The same Alpaca account twice would trade twice.
    await expect(
      as(f).brokers.connect({
        broker: "alpaca",
        mode: "paper",
        keyId: followerKey.key_id,
        secret: followerKey.secret_key,
      }),
    ).rejects.toMatchObject({ code: "CONFLICT" });
  });

  it("a leader links an Alpaca account as the trading account; a follower copies into Alpaca", async () => {
    const l = await user("leader@alpaca.test", "leader");
    // Every leader starts with an account; the Alpaca one replaces it (from flat).
    const [paperRow] = await t.db
      .insert(s.brokerAccounts)
      .values({ userId: l.id, broker: "paper", externalId: `paper-${l.id}` })
      .returning();
    const [leader] = await t.db
      .insert(s.leaders)
      .values({
        userId: l.id,
        handle: "alpaca-leader",
        displayName: "Alpaca leader",
        brokerAccountId: paperRow!.id,
        trackRecordStartedAt: new Date(Date.now() - 90 * 86_400_000),
      })
      .returning();
    leaderId = leader!.id;
    leaderKey = await newGatewayAccount("100000");
    // A trade from before the link: history, not something to copy.
    await tradeInAlpacaApp(leaderKey, "buy", "1", "before-link");
    await tradeInAlpacaApp(leaderKey, "sell", "1", "before-link-2");
    const { id } = await as(l).brokers.connect({
      broker: "alpaca",
      mode: "paper",
      keyId: leaderKey.key_id,
      secret: leaderKey.secret_key,
    });
    await as(l).brokers.useForLeading({ id });
    const [book] = await t.db
      .select()
      .from(s.leaderBooks)
      .where(eq(s.leaderBooks.leaderId, leaderId));
    expect(D(book!.cash).toFixed(2)).toBe(
      D((await alpaca.getAccount(await seamId(id))).cash).toFixed(2),
    );

    const f = {
      id: (await t.db.select().from(s.users).where(eq(s.users.email, "follower@alpaca.test")))[0]!
        .id,
      email: "follower@alpaca.test",
      name: "f",
      role: "follower" as const,
    };
    const started = await as(f).copies.start({
      leaderId,
      brokerAccountId: followerAccountId,
      sizing: { mode: "multiplier", amount: "10000", factor: "0.1" },
      limits: NO_LIMITS,
      consent: true,
      agreementVersion: AGREEMENT_VERSION,
    });
    relationshipId = started.id;
    const [rel] = await t.db
      .select()
      .from(s.copyRelationships)
      .where(eq(s.copyRelationships.id, relationshipId));
    expect(rel!.brokerAccountId).toBe(followerAccountId);
    // Disconnecting an account a copy trades in is refused.
    await expect(as(f).brokers.disconnect({ id: followerAccountId })).rejects.toMatchObject({
      code: "PRECONDITION_FAILED",
    });
  });

  it("a replayed leader day in Alpaca's app: every fill ingested once, copied once, nothing missing", async () => {
    await external.tick(); // subscribes the leader's stream
    const day: Array<[string, "buy" | "sell", string]> = [
      ["100", "buy", "10"],
      ["101", "buy", "5"],
      ["99.5", "sell", "3"],
      ["102", "buy", "0.5"],
      ["103", "sell", "12.5"], // flat
      ["101", "sell", "4"], // short
      ["100", "buy", "4"], // flat again
      ["98", "buy", "7"],
    ];
    const L = leaderKey.account_id;
    const F = followerKey.account_id;
    let n = 0;
    for (const [px, side, qty] of day) {
      n++;
      await quote(px);
      // The stream loses and repeats the leader's messages; the follower's orders meet 5xx,
      // lost answers and 429s.
      if (n === 2) gateway.injectFault(L, "stream_drop", 3);
      if (n === 3) gateway.injectFault(L, "stream_duplicate", 3);
      if (n === 4) gateway.injectFault(F, "order_500", 1);
      if (n === 5) gateway.injectFault(F, "order_drop_after_accept", 1);
      if (n === 6) gateway.injectFault(F, "order_429", 1);
      if (n === 7) gateway.injectFault(F, "stream_drop", 2);
      if (n === 8) {
        // The worker restarts: a new adapter and loop; a trade happens while it is down.
        await external.stop();
        await alpaca.close();
        await tradeInAlpacaApp(leaderKey, side, qty, `app-${n}`);
        alpaca = createAlpacaBroker(t.db);
        external = startExternalLeaders(deps, alpaca, { pollMs: 0 });
        await settle();
        continue;
      }
      await tradeInAlpacaApp(leaderKey, side, qty, `app-${n}`);
      await settle();
    }
    await settle();

    // Exactly once into the leader stream: one leader fill per trade, none from before.
    const fills = await t.db
      .select()
      .from(s.leaderFills)
      .where(eq(s.leaderFills.leaderId, leaderId));
    expect(fills).toHaveLength(day.length);
    expect(new Set(fills.map((x) => x.brokerTradeId)).size).toBe(day.length);
    const [evs] = await t.db.execute<{ n: number }>(
      sql`select count(*)::int as n from events where stream = ${`leader:${leaderId}`} and type = 'leader_fill'`,
    );
    expect(evs!.n).toBe(day.length);
    const leaderPos = day.reduce(
      (a, [, side, q]) => (side === "buy" ? a.plus(q) : a.minus(q)),
      D(0),
    );
    const [lp] = await t.db
      .select()
      .from(s.leaderPositions)
      .where(
        and(eq(s.leaderPositions.leaderId, leaderId), eq(s.leaderPositions.symbol, "BTC-USD")),
      );
    expect(D(lp!.qty).eq(leaderPos)).toBe(true);

    // One copy order per leader fill (none twice, none missing), all filled.
    const copyOrders = await t.db
      .select()
      .from(s.orders)
      .where(eq(s.orders.relationshipId, relationshipId));
    expect(copyOrders.filter((o) => o.origin !== "reconcile")).toHaveLength(day.length);
    expect(new Set(copyOrders.map((o) => o.clientOrderId)).size).toBe(copyOrders.length);
    expect(copyOrders.every((o) => o.status === "filled")).toBe(true);

    // The follower holds r × the leader's position, in our books and at Alpaca.
    const target = leaderPos.times("0.1");
    const [ours] = await t.db
      .select()
      .from(s.positions)
      .where(
        and(eq(s.positions.brokerAccountId, followerAccountId), eq(s.positions.symbol, "BTC-USD")),
      );
    expect(D(ours!.qty).eq(target)).toBe(true);
    const theirs = (await alpaca.getPositions(await seamId(followerAccountId))).find(
      (p) => p.symbol === "BTC-USD",
    );
    expect(D(theirs!.qty).eq(target)).toBe(true);

    // Reconciliation against Alpaca: positions and orders agree, nothing to repair.
    const run = await reconcile(deps, "on_demand");
    const items = await t.db
      .select()
      .from(s.reconciliationItems)
      .where(eq(s.reconciliationItems.runId, run.runId));
    expect(
      items.filter((i) => i.kind === "position_mismatch" || i.kind === "order_missing_at_broker"),
    ).toEqual([]);
    expect(items.filter((i) => i.action === "adjustment_order")).toEqual([]);

    // Alpaca's crypto fees: every commission the follower paid at the broker is on our books
    // once (cash, the copy's fees, a commission journal per fee), so cash agrees too.
    const F_ = await seamId(followerAccountId);
    const paid = (await paper.listFills(followerKey.account_id)).reduce(
      (a, x) => a.plus(x.commission),
      D(0),
    );
    expect(paid.gt(0)).toBe(true);
    expect(items.filter((i) => i.kind === "cash_mismatch")).toEqual([]);
    const again = await reconcile(deps, "on_demand");
    const [booked] = await t.db.execute<{ fees: string; journals: number; charges: number }>(sql`
      select (select sum(fees)::text from copy_positions where relationship_id = ${relationshipId}) as fees,
             (select count(*)::int from journals where kind = 'commission' and relationship_id = ${relationshipId}) as journals,
             (select count(*)::int from fills where broker_account_id = ${followerAccountId} and qty = 0) as charges`);
    expect(D(booked!.fees).eq(paid)).toBe(true);
    expect(booked!.charges).toBeGreaterThanOrEqual(day.length);
    expect(booked!.journals).toBe(booked!.charges);
    const [bal] = await t.db
      .select()
      .from(s.accountBalances)
      .where(eq(s.accountBalances.brokerAccountId, followerAccountId));
    expect(D(bal!.cash).eq((await alpaca.getAccount(F_)).cash)).toBe(true);
    const againItems = await t.db
      .select()
      .from(s.reconciliationItems)
      .where(eq(s.reconciliationItems.runId, again.runId));
    expect(againItems.filter((i) => i.kind === "cash_mismatch")).toEqual([]);

    // The leader paid the same fees in Alpaca's app: each is taken from the leader's book
    // once, so the book's cash is the account's (the equity followers read is after costs).
    // The two trades before the link paid theirs before the book took the account's cash.
    const [lb] = await t.db
      .select()
      .from(s.leaderBooks)
      .where(eq(s.leaderBooks.leaderId, leaderId));
    const [linkedRow] = await t.db.select().from(s.leaders).where(eq(s.leaders.id, leaderId));
    const leaderAccount = (await alpaca.getAccount(await seamId(linkedRow!.brokerAccountId!))).cash;
    expect(D(lb!.cash).toFixed(8)).toBe(D(leaderAccount).toFixed(8));
    const [lc] = await t.db.execute<{ charges: number; events: number; total: string }>(sql`
      select (select count(*)::int from leader_charges where leader_id = ${leaderId}) as charges,
             (select count(*)::int from events where stream = ${`leader:${leaderId}`} and type = 'leader_charge') as events,
             (select sum(amount)::text from leader_charges where leader_id = ${leaderId}) as total`);
    expect(lc!.charges).toBe(day.length);
    expect(lc!.events).toBe(day.length);
    // 0.5 per BTC (the instrument above) on every unit the leader traded that day.
    const traded = day.reduce((a, [, , q]) => a.plus(q), D(0));
    expect(D(lc!.total).eq(traded.times("0.5"))).toBe(true);
    // "Why my result differs": the leader paid 0.5 a BTC as the copy did, so at the copy's
    // ratio (0.1) commissions explain nothing (before, the copy's 2.30 showed as its own).
    const why = await loadAttribution(t.db, relationshipId);
    const commissions = why!.attribution.parts.find((p) => p.key === "commissions");
    expect(commissions!.amount.abs().toFixed(2)).toBe("0.00");
    // Charges are not copied: the follower's orders are the day's, as counted above.
    expect(
      await t.db.select().from(s.orders).where(eq(s.orders.relationshipId, relationshipId)),
    ).toHaveLength(copyOrders.length);
  }, 120_000);

  it("an account Alpaca refuses pauses increases on it with a reason its owner reads", async () => {
    const F = followerKey.account_id;
    gateway.setAccountFlags(F, { tradingBlocked: true });
    const out = await syncAlpacaAccounts(t.db, alpaca);
    expect(out.find((o) => o.brokerAccountId === followerAccountId)?.state).toBe("refused");
    const open = await t.db
      .select()
      .from(s.circuitBreakers)
      .where(eq(s.circuitBreakers.scopeKey, accountBreakerKey(followerAccountId)));
    expect(open).toHaveLength(1);
    expect(open[0]!.closedAt).toBeNull();
    const f = (
      await t.db.select().from(s.users).where(eq(s.users.email, "follower@alpaca.test"))
    )[0]!;
    const mine = await as({ id: f.id, email: f.email, name: "f", role: "follower" }).brokers.mine();
    const acct = mine.find((a) => a.id === followerAccountId)!;
    expect(acct.syncState).toBe("refused");
    expect(acct.syncProblem).toMatch(/trading is blocked/);
    expect(acct.paused).toMatch(/trading is blocked/);
    // Refused orders are Alpaca's answer too (403, reason kept).
    await expect(
      alpaca.placeOrder({
        accountId: await seamId(followerAccountId),
        clientOrderId: "blocked-1",
        symbol: "BTC-USD",
        side: "buy",
        type: "market",
        qty: "1",
      }),
    ).rejects.toMatchObject({ kind: "rejected" });

    gateway.setAccountFlags(F, { tradingBlocked: false });
    await syncAlpacaAccounts(t.db, alpaca);
    const after = await t.db
      .select()
      .from(s.circuitBreakers)
      .where(eq(s.circuitBreakers.scopeKey, accountBreakerKey(followerAccountId)));
    expect(after[0]!.closedAt).not.toBeNull();
  });
});
