import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { createTestDb } from "../../../test/db";
import { PaperBroker } from "../../brokers/paper";
import type { BrokerAdapter } from "../../brokers/types";
import { ManualClock } from "../../domain/clock";
import { createRng } from "../../domain/random";
import { accountBalances, brokerAccounts, instruments, leaders, users } from "../../../db/schema";
import { startCopy } from "../copies/intents";
import { DEFAULT_CONFIG, silentLog, type EngineDeps } from "../deps";
import { ingestLeaderFill } from "../ingest/leader-events";
import { ensureLeaderBook } from "../ingest/leader-book";
import { pump } from "../pump";
import { reconcile } from "../reconcile/reconcile";
import { checkInvariants } from "../replay/invariants";
import { runReplay } from "../replay/run-replay";
import { parseScenario } from "../replay/scenario";
import { bookkeepingIntegrityProblems } from "../book/integrity";

/**
 * Property-based chaos: random leader streams, random broker faults, random pauses and
 * stops, random liquidity — after every run the invariants of replay-format.md must hold.
 * And a worker killed in the middle of a fan-out, restarted, leaves no duplicate and no
 * missing order.
 */
const at = (s: number) => new Date(Date.UTC(2026, 2, 2, 15, 0, s)).toISOString();

const scenarioArb = fc
  .record({
    followers: fc.array(
      fc.record({
        mode: fc.constantFrom("proportional", "multiplier", "fixed_notional"),
        cash: fc.integer({ min: 2_000, max: 60_000 }),
        policy: fc.constantFrom("reduce", "skip"),
        exposure: fc.option(fc.integer({ min: 500, max: 8_000 }), { nil: undefined }),
        stopLoss: fc.option(fc.integer({ min: 2, max: 30 }), { nil: undefined }),
      }),
      { minLength: 1, maxLength: 4 },
    ),
    steps: fc.array(
      fc.oneof(
        fc.record({
          kind: fc.constant("fill" as const),
          buy: fc.boolean(),
          qty: fc.integer({ min: 1, max: 80 }),
        }),
        fc.record({
          kind: fc.constant("quote" as const),
          move: fc.integer({ min: -400, max: 400 }),
        }),
        fc.record({
          kind: fc.constant("fault" as const),
          who: fc.nat(3),
          fault: fc.constantFrom(
            "error_before_accept",
            "timeout_after_accept",
            "reject",
            "duplicate_events",
            "drop_events",
          ),
          count: fc.integer({ min: 1, max: 3 }),
        }),
        fc.record({
          kind: fc.constant("action" as const),
          who: fc.nat(3),
          action: fc.constantFrom("pause", "resume", "stop"),
        }),
        fc.record({
          kind: fc.constant("liquidity" as const),
          max: fc.option(fc.integer({ min: 1, max: 10 }), { nil: null }),
        }),
        fc.record({ kind: fc.constant("reconcile" as const) }),
      ),
      { minLength: 3, maxLength: 25 },
    ),
  })
  .map(({ followers, steps }) => {
    let price = 10_000; // cents
    let leaderPos = 0;
    const events: unknown[] = [
      { at: at(0), type: "quote", symbol: "XYZ", bid: cents(price - 5), ask: cents(price + 5) },
    ];
    steps.forEach((s, i) => {
      const time = at(i + 1);
      if (s.kind === "fill") {
        // The leader never goes short here by more than it was long: keeps cash checks meaningful.
        const qty = s.buy || leaderPos <= 0 ? s.qty : Math.min(s.qty, leaderPos);
        const side = s.buy || leaderPos <= 0 ? "buy" : "sell";
        leaderPos += side === "buy" ? qty : -qty;
        events.push({
          at: time,
          type: "leader_fill",
          fillId: `f-${i}`,
          orderId: `o-${i}`,
          symbol: "XYZ",
          side,
          qty: String(qty),
          price: cents(price),
        });
      } else if (s.kind === "quote") {
        price = Math.max(1_000, price + s.move);
        events.push({
          at: time,
          type: "quote",
          symbol: "XYZ",
          bid: cents(price - 5),
          ask: cents(price + 5),
        });
      } else if (s.kind === "fault" && s.who < followers.length) {
        events.push({
          at: time,
          type: "fault",
          account: `F${s.who}`,
          fault: s.fault,
          count: s.count,
        });
      } else if (s.kind === "action" && s.who < followers.length) {
        events.push({ at: time, type: "copy_action", follower: `F${s.who}`, action: s.action });
      } else if (s.kind === "liquidity") {
        events.push({
          at: time,
          type: "liquidity",
          symbol: "XYZ",
          maxFillQty: s.max === null ? null : String(s.max),
        });
      } else if (s.kind === "reconcile") {
        events.push({ at: time, type: "reconcile" });
      }
    });
    return {
      name: "chaos",
      seed: 7,
      instruments: [
        {
          symbol: "XYZ",
          currency: "USD",
          tickSize: "0.01",
          qtyStep: "1",
          minQty: "1",
          minNotional: "5",
          multiplier: "1",
          commissionPerUnit: "0.01",
        },
      ],
      leader: { id: "L", cash: "50000" },
      followers: followers.map((f, i) => ({
        id: `F${i}`,
        cash: String(f.cash),
        copy: {
          sizing:
            f.mode === "proportional"
              ? { mode: "proportional", allocation: String(Math.floor(f.cash / 2)) }
              : f.mode === "multiplier"
                ? { mode: "multiplier", factor: "0.1" }
                : { mode: "fixed_notional", notional: String(Math.floor(f.cash / 4)) },
          risk: {
            ...(f.exposure ? { maxSymbolExposure: String(f.exposure) } : {}),
            ...(f.stopLoss ? { copyStopLossPct: String(f.stopLoss) } : {}),
          },
          onInsufficientFunds: f.policy,
        },
      })),
      events,
    };
  });

function cents(c: number): string {
  return (c / 100).toFixed(2);
}

describe("chaos", () => {
  it("random streams, faults, pauses and stops never break the invariants", async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (raw) => {
        const t = await createTestDb();
        try {
          const scenario = parseScenario(raw);
          const report = await runReplay(t.db, scenario);
          const problems = await checkInvariants(t.db, scenario, report);
          if (problems.length) throw new Error(problems.join("\n"));
        } finally {
          await t.drop();
        }
      }),
      {
        numRuns: Number(process.env.CHAOS_RUNS ?? 12),
        seed: Number(process.env.CHAOS_SEED ?? 20261124),
        endOnFailure: true,
      },
    );
  }, 600_000);
});

class Killed extends Error {}

describe("a worker killed mid-fan-out", () => {
  let t: Awaited<ReturnType<typeof createTestDb>>;
  beforeEach(async () => {
    t = await createTestDb();
  });
  afterEach(() => t.drop());

  it.each(["one order per call", "batch calls"] as const)(
    "restarts without a duplicate or a missing order (%s)",
    async (mode) => {
      const clock = new ManualClock(new Date("2026-03-02T15:00:00Z"));
      const paper = new PaperBroker({ db: t.db, clock, seed: "kill" });
      const base = (broker: BrokerAdapter, owner: string): EngineDeps => ({
        db: t.db,
        broker: () => broker,
        clock,
        rng: createRng(owner),
        log: silentLog,
        config: { ...DEFAULT_CONFIG, fanoutBatchSize: 4 },
        owner,
      });
      await t.db.insert(instruments).values({
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
      const [lu] = await t.db
        .insert(users)
        .values({ email: "l@x.test", passwordHash: "!", displayName: "L", role: "leader" })
        .returning();
      const [la] = await t.db
        .insert(brokerAccounts)
        .values({ userId: lu!.id, broker: "replay-leader", externalId: "L" })
        .returning();
      const [leader] = await t.db
        .insert(leaders)
        .values({
          userId: lu!.id,
          handle: "l",
          displayName: "L",
          brokerAccountId: la!.id,
          trackRecordStartedAt: clock.now(),
        })
        .returning();
      await ensureLeaderBook(t.db, leader!.id, "100000", clock.now());
      const first = base(paper, "worker-1");
      const accounts: string[] = [];
      for (let i = 0; i < 10; i++) {
        const [u] = await t.db
          .insert(users)
          .values({
            email: `f${i}@x.test`,
            passwordHash: "!",
            displayName: `F${i}`,
            role: "follower",
          })
          .returning();
        const [a] = await t.db
          .insert(brokerAccounts)
          .values({ userId: u!.id, broker: "paper", externalId: `F${i}` })
          .returning();
        await paper.openAccount({ accountId: `F${i}`, cash: "50000" });
        await t.db.insert(accountBalances).values({
          brokerAccountId: a!.id,
          currency: "USD",
          cash: "50000",
          updatedAt: clock.now(),
        });
        await startCopy(first, {
          followerId: u!.id,
          leaderId: leader!.id,
          brokerAccountId: a!.id,
          sizing: { mode: "proportional", allocation: "10000" },
          agreementVersion: "t",
        });
        accounts.push(a!.id);
      }
      // Worker 1 dies on its 6th submission, after the broker accepted the order but before it
      // could record the answer.
      let submits = 0;
      const dying: BrokerAdapter = Object.create(paper) as BrokerAdapter;
      dying.placeOrder = async (req) => {
        const placed = await paper.placeOrder(req);
        if (++submits === 6) throw new Killed("killed");
        return placed;
      };
      // Batch: the broker gets (and fills) the first six orders of the batch, then the
      // process dies before it hears back about any of them.
      dying.placeOrders =
        mode === "batch calls"
          ? async (reqs) => {
              await paper.placeOrders(reqs.slice(0, 6));
              throw new Killed("killed");
            }
          : undefined;
      await ingestLeaderFill(first, {
        leaderId: leader!.id,
        fillId: "f-1",
        orderId: "o-1",
        symbol: "XYZ",
        side: "buy",
        qty: "50",
        price: "100",
        at: clock.now(),
      });
      // The single path dies outright. A failed batch call is treated as "outcome unknown" for
      // all its orders, which are then resolved one by one (asked for, resent only if absent).
      let died = false;
      await pump(base(dying, "worker-1"), { accounts: async () => accounts }).catch(
        (err: unknown) => {
          if (!(err instanceof Killed)) throw err;
          died = true;
        },
      );
      if (mode === "one order per call") expect(died).toBe(true);

      // Worker 2 starts after worker 1's lease has expired: startup reconciliation, then work.
      clock.advance(DEFAULT_CONFIG.leaseTtlMs + 1);
      const second = base(paper, "worker-2");
      await reconcile(second, "startup");
      await pump(second, { accounts: async () => accounts });

      const perFollower = await t.db.execute<{ n: string }>(
        sql`select count(*) as n from orders where origin = 'copy' group by relationship_id`,
      );
      expect(perFollower.map((r) => Number(r.n))).toEqual(Array(10).fill(1));
      const brokerDupes = await t.db.execute(
        sql`select client_order_id from paper_orders group by client_order_id having count(*) > 1`,
      );
      expect(brokerDupes).toHaveLength(0);
      const brokerOrders = await t.db.execute<{ n: string }>(
        sql`select count(*) as n from paper_orders`,
      );
      expect(Number(brokerOrders[0]!.n)).toBe(10);
      const held = await t.db.execute<{ qty: string }>(
        sql`select qty from copy_positions order by relationship_id`,
      );
      expect(held.map((h) => h.qty)).toEqual(Array(10).fill("5"));
      const statuses = await t.db.execute<{ status: string }>(
        sql`select distinct status from orders`,
      );
      expect(statuses.map((s) => s.status)).toEqual(["filled"]);
      expect(await bookkeepingIntegrityProblems(t.db)).toEqual([]);
    },
  );
});
