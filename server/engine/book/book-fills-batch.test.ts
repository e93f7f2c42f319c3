import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asc, eq, sql } from "drizzle-orm";
import { createTestDb } from "../../../test/db";
import {
  accountBalances,
  brokerAccounts,
  copyPositions,
  copyRelationships,
  events,
  instruments,
  leaders,
  orders,
  positions,
  users,
} from "../../../db/schema";
import { D } from "../../domain/money";
import { bookFill } from "./book-fill";
import { bookFillsBatch } from "./book-fills-batch";
import { traceOrder } from "../ops/trace";
import { bookkeepingIntegrityProblems } from "./integrity";

/**
 * The set-based booking must do exactly what the per-fill booking does: two identical
 * groups of accounts, the same fills, one booked one by one and one in a batch.
 */
let t: Awaited<ReturnType<typeof createTestDb>>;
beforeAll(async () => {
  t = await createTestDb();
});
afterAll(() => t.drop());

const now = new Date("2026-03-02T15:00:00Z");

async function setupGroup(tag: string, n: number) {
  const [lu] = await t.db
    .insert(users)
    .values({ email: `l-${tag}@x.test`, passwordHash: "!", displayName: "L", role: "leader" })
    .returning();
  const [la] = await t.db
    .insert(brokerAccounts)
    .values({ userId: lu!.id, broker: "paper", externalId: `L-${tag}` })
    .returning();
  const [leader] = await t.db
    .insert(leaders)
    .values({
      userId: lu!.id,
      handle: `l-${tag}`,
      displayName: "L",
      brokerAccountId: la!.id,
      trackRecordStartedAt: now,
    })
    .returning();
  const out: Array<{ account: string; rel: string }> = [];
  for (let i = 0; i < n; i++) {
    const [u] = await t.db
      .insert(users)
      .values({
        email: `f${i}-${tag}@x.test`,
        passwordHash: "!",
        displayName: "F",
        role: "follower",
      })
      .returning();
    const [a] = await t.db
      .insert(brokerAccounts)
      .values({ userId: u!.id, broker: "paper", externalId: `F${i}-${tag}` })
      .returning();
    await t.db
      .insert(accountBalances)
      .values({ brokerAccountId: a!.id, currency: "USD", cash: "10000", updatedAt: now });
    const [rel] = await t.db
      .insert(copyRelationships)
      .values({
        followerId: u!.id,
        leaderId: leader!.id,
        brokerAccountId: a!.id,
        referenceCapital: "1000",
        agreementVersion: "t",
        consentedAt: now,
        startedAt: now,
      })
      .returning();
    out.push({ account: a!.id, rel: rel!.id });
  }
  return out;
}

async function order(
  account: string,
  rel: string,
  clientOrderId: string,
  side: "buy" | "sell",
  qty: string,
  correlationId: string | null = null,
) {
  const [o] = await t.db
    .insert(orders)
    .values({
      clientOrderId,
      brokerAccountId: account,
      relationshipId: rel,
      symbol: "XYZ",
      side,
      qty,
      status: "accepted",
      origin: "copy",
      correlationId,
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  return o!;
}

describe("bookFillsBatch", () => {
  it("books exactly what bookFill books, once per trade id", async () => {
    await t.db.insert(instruments).values({
      symbol: "XYZ",
      name: "XYZ",
      assetClass: "future",
      currency: "USD",
      tickSize: "0.25",
      qtyStep: "1",
      minQty: "1",
      minNotional: "0",
      multiplier: "50",
      commissionPerUnit: "1.25",
      tradingHours: { timeZone: "UTC", sessions: [] },
    });
    const single = await setupGroup("s", 3);
    const batch = await setupGroup("b", 3);
    // Per account: buy 4 in two partial fills, then sell 6 (a flip to short 2).
    const script = (i: number) => [
      {
        key: "o1",
        side: "buy" as const,
        qty: "4",
        fills: [
          { trade: "t1", qty: "1", price: "100.25" },
          { trade: "t2", qty: "3", price: "100.5" },
        ],
      },
      {
        key: "o2",
        side: "sell" as const,
        qty: "6",
        fills: [{ trade: "t3", qty: "6", price: `${101 + i}` }],
      },
    ];
    for (const [group, tag] of [
      [single, "s"],
      [batch, "b"],
    ] as const) {
      const items: Parameters<typeof bookFillsBatch>[1] = [];
      for (let i = 0; i < group.length; i++) {
        const g = group[i]!;
        for (const step of script(i)) {
          const o = await order(g.account, g.rel, `${tag}-${i}-${step.key}`, step.side, step.qty);
          for (const f of step.fills) {
            const fill = {
              tradeId: f.trade,
              qty: f.qty,
              price: f.price,
              commission: "1.25",
              at: now,
            };
            if (tag === "s") {
              await t.db.transaction(async (tx) => {
                const [cur] = await tx.select().from(orders).where(eq(orders.id, o.id));
                await bookFill(tx, cur!, fill, now);
              });
            } else items.push({ brokerAccountId: g.account, clientOrderId: o.clientOrderId, fill });
          }
        }
      }
      if (tag === "b") {
        items.push(items[0]!); // a duplicated broker event inside the same batch
        await t.db.transaction((tx) => bookFillsBatch(tx, items, now));
        // A second delivery of the same fills changes nothing.
        expect(await t.db.transaction((tx) => bookFillsBatch(tx, items, now))).toBe(0);
      }
    }
    const view = async (group: Array<{ account: string; rel: string }>) =>
      Promise.all(
        group.map(async (g) => ({
          position: (
            await t.db
              .select({ qty: positions.qty, avg: positions.avgCost, pnl: positions.realizedPnl })
              .from(positions)
              .where(eq(positions.brokerAccountId, g.account))
          )[0],
          copy: (
            await t.db
              .select({
                qty: copyPositions.qty,
                avg: copyPositions.avgCost,
                pnl: copyPositions.realizedPnl,
                fees: copyPositions.fees,
              })
              .from(copyPositions)
              .where(eq(copyPositions.relationshipId, g.rel))
          )[0],
          cash: (
            await t.db
              .select({ cash: accountBalances.cash })
              .from(accountBalances)
              .where(eq(accountBalances.brokerAccountId, g.account))
          )[0]?.cash,
          orders: (
            await t.db
              .select({ s: orders.status, f: orders.filledQty, p: orders.avgPrice })
              .from(orders)
              .where(eq(orders.brokerAccountId, g.account))
              .orderBy(asc(orders.clientOrderId))
          ).map((o) => [o.s, o.f, o.p]),
          ledger: (
            await t.db.execute<{ total: string }>(
              sql`select coalesce(sum(p.amount), 0)::text as total from postings p join ledger_accounts a on a.id = p.ledger_account_id where a.code = ${`account:${g.account}:cash`}`,
            )
          )[0]!.total,
        })),
      );
    const a = await view(single);
    const b = await view(batch);
    expect(b).toEqual(a);
    // A flip to −2: realized (101 − 100.4375) × 4 × 50 on the first account.
    expect(a[0]!.position).toEqual({ qty: "-2", avg: "101", pnl: "112.5" });
    expect(D(a[0]!.ledger).eq(D(a[0]!.cash!).minus(10000))).toBe(true);
    const unbalanced = await t.db.execute(
      sql`select journal_id from postings group by journal_id, currency having sum(amount) <> 0`,
    );
    expect(unbalanced).toHaveLength(0);
  });

  it("writes one order_fill event per correlation for the batch, and the trace shows each order its own fill", async () => {
    // The first test made the instrument; this one only needs its own accounts.
    const group = await setupGroup("c", 3);
    const made = [];
    for (const [i, g] of group.entries())
      made.push(await order(g.account, g.rel, `c-${i}`, "buy", "2", "lf:T-c"));
    made.push(await order(group[0]!.account, group[0]!.rel, "c-own", "buy", "1"));
    const fill = (tradeId: string, price: string) => ({
      tradeId,
      qty: "2",
      price,
      commission: "0.5",
      at: now,
    });
    const items = made.map((o, i) => ({
      brokerAccountId: o.brokerAccountId,
      clientOrderId: o.clientOrderId,
      fill: { ...fill(`tc-${i}`, `10${i}`), qty: o.qty },
    }));
    expect(await t.db.transaction((tx) => bookFillsBatch(tx, items, now))).toBe(4);

    const batched = await t.db.select().from(events).where(eq(events.stream, "fills:lf:T-c"));
    expect(batched).toHaveLength(1);
    expect(batched[0]).toMatchObject({ type: "order_fill", correlationId: "lf:T-c", seq: 1 });
    expect(batched[0]!.payload.fills).toEqual(
      group.map((g, i) => [g.account, `c-${i}`, `tc-${i}`, "2", `10${i}`, "0.5", "filled"]),
    );
    // An order with no correlation keeps its event on its account's stream.
    const own = await t.db
      .select()
      .from(events)
      .where(eq(events.stream, `account:${group[0]!.account}`));
    expect(own.map((e) => [e.type, e.payload.clientOrderId])).toEqual([["order_fill", "c-own"]]);

    const trace = await traceOrder(t.db, "c-1");
    const fillEvents = trace!.events.filter((e) => e.type === "order_fill");
    expect(fillEvents.map((e) => e.payload.fills)).toEqual([
      [[group[1]!.account, "c-1", "tc-1", "2", "101", "0.5", "filled"]],
    ]);
  });

  it("holds the books together without foreign keys, and names each kind of break (ADR 0070, 0071)", async () => {
    // Both paths above booked through the same tables: nothing orphaned, every journal balanced.
    expect(await bookkeepingIntegrityProblems(t.db)).toEqual([]);
    const [someOrder] = await t.db.select().from(orders).limit(1);
    const [otherAccount] = await t.db
      .select({ id: brokerAccounts.id })
      .from(brokerAccounts)
      .where(sql`${brokerAccounts.id} <> ${someOrder!.brokerAccountId}`)
      .limit(1);
    const [ledger] = await t.db.execute<{ id: string }>(
      sql`select id from ledger_accounts limit 1`,
    );
    const [journal] = await t.db.execute<{ id: string }>(sql`select id from journals limit 1`);
    await t.db.execute(sql`insert into postings (journal_id, ledger_account_id, amount, currency)
      values (-1, ${ledger!.id}, 0, 'USD'),
             (${journal!.id}, '00000000-0000-4000-8000-000000000000', 5, 'USD')`);
    await t.db
      .execute(sql`insert into fills (order_id, broker_account_id, broker_trade_id, qty, price, filled_at)
      values (${someOrder!.id}, ${otherAccount!.id}, 'integrity-probe', 1, 1, now())`);
    // ADR 0071: an order naming a missing account, a copy of another account (the old key
    // did not catch that) and a missing instrument; a decision of a missing copy.
    const nobody = "00000000-0000-4000-8000-000000000001";
    const [someCopy] = await t.db.execute<{ id: string }>(
      sql`select id from copy_relationships where broker_account_id <> ${otherAccount!.id} limit 1`,
    );
    await t.db
      .execute(sql`insert into orders (client_order_id, broker_account_id, relationship_id, symbol, side, qty, status, origin, created_at, updated_at) values
      ('integrity-1', ${nobody}, null, ${someOrder!.symbol}, 'buy', 1, 'rejected', 'manual', now(), now()),
      ('integrity-2', ${otherAccount!.id}, ${someCopy!.id}, ${someOrder!.symbol}, 'buy', 1, 'rejected', 'copy', now(), now()),
      ('integrity-3', ${otherAccount!.id}, null, 'NO-SUCH', 'buy', 1, 'rejected', 'manual', now(), now())`);
    await t.db
      .execute(sql`insert into copy_decisions (relationship_id, leader_fill_id, leader_event_seq, symbol, target, order_qty, action, reason, checks, at)
      values (${nobody}, 'integrity-probe', 1, 'X', 0, 0, 'none', 'probe', '[]', now())`);
    expect(await bookkeepingIntegrityProblems(t.db)).toEqual([
      "1 postings of a journal that does not exist",
      "1 postings to a ledger account that does not exist",
      "1 journals whose postings do not sum to zero in a currency",
      "1 fills of an order that does not exist or belongs to another account",
      "1 orders of a broker account that does not exist",
      "1 orders of a copy that does not exist or trades another account",
      "1 orders in an instrument that does not exist",
      "1 decisions of a copy that does not exist",
    ]);
    await t.db.execute(
      sql`delete from postings where journal_id = -1 or ledger_account_id = '00000000-0000-4000-8000-000000000000'`,
    );
    await t.db.execute(sql`delete from fills where broker_trade_id = 'integrity-probe'`);
    await t.db.execute(sql`delete from orders where client_order_id like 'integrity-%'`);
    await t.db.execute(sql`delete from copy_decisions where leader_fill_id = 'integrity-probe'`);
    expect(await bookkeepingIntegrityProblems(t.db)).toEqual([]);
  });
});
