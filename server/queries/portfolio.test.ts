import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb } from "../../test/db";
import { insertUser, paperEngine } from "../engine/testing/test-world";
import { copyPositions, leaders, orders, positions } from "../../db/schema";
import { PaperBroker } from "../brokers/paper";
import { ManualClock } from "../domain/clock";
import { D } from "../domain/money";
import { startCopy, stopCopy } from "../engine/copies/intents";
import { openPaperAccount } from "../engine/copies/onboarding";
import { type EngineDeps } from "../engine/deps";
import { placeManualOrder } from "../engine/execute/manual-orders";
import { applyPaperTransfers } from "../engine/execute/transfers";
import { pump } from "../engine/pump";
import { reconcile } from "../engine/reconcile/reconcile";
import { engineDepsForWeb } from "../engine/web-deps";
import { createCaller } from "../api/root";
import { portfolio, splitByOrigin } from "./portfolio";

/**
 * The follower's portfolio over the real engine and paper broker: a copy buys, the follower
 * stops it keeping the positions, and closes them from the portfolio with a manual order
 * that the worker sends and books — belonging to no copy, so replication is unaffected.
 */
let t: Awaited<ReturnType<typeof createTestDb>>;
let deps: EngineDeps;
let paper: PaperBroker;
const clock = new ManualClock(new Date("2026-03-03T15:00:00Z")); // a Tuesday, markets open

beforeAll(async () => {
  t = await createTestDb();
  ({ paper, deps } = await paperEngine(t.db, clock, "portfolio", {
    symbol: "ETH-USD",
    bid: "3199.5",
    ask: "3200.5",
  }));
});
afterAll(() => t.drop());

const user = (email: string, role: "leader" | "follower") => insertUser(t.db, email, role);

describe("splitByOrigin", () => {
  const s = (qty: string, kind: "copy" | "kept") => ({
    qty: D(qty),
    avgCost: "1",
    origin:
      kind === "copy"
        ? ({ kind, copyId: "c", leaderName: "L", leaderHandle: "l", status: "active" } as const)
        : ({ kind, copyId: "k", leaderName: "K", leaderHandle: "k" } as const),
  });
  it("gives running copies their share, kept positions what remains, the rest is manual", () => {
    const out = splitByOrigin("10", "2", [s("4", "copy")], [s("3", "kept")]);
    expect(out.map((x) => [x.origin.kind, x.qty.toString()])).toEqual([
      ["copy", "4"],
      ["kept", "3"],
      ["manual", "3"],
    ]);
  });
  it("caps a kept share by what is still in the account (part sold by hand)", () => {
    const out = splitByOrigin("5", "2", [s("4", "copy")], [s("3", "kept")]);
    expect(out.map((x) => [x.origin.kind, x.qty.toString()])).toEqual([
      ["copy", "4"],
      ["kept", "1"],
    ]);
  });
});

describe("portfolio over the worker path", () => {
  it("shows a kept position with its origin, closes it by hand, and replication is unaffected", async () => {
    const lu = await user("leader@p.test", "leader");
    const leaderAccount = await openPaperAccount(t.db, lu.id, "100000");
    const [leader] = await t.db
      .insert(leaders)
      .values({
        userId: lu.id,
        handle: "lead",
        displayName: "Lead",
        brokerAccountId: leaderAccount,
        trackRecordStartedAt: clock.now(),
      })
      .returning();
    await t.db.execute(
      sql`insert into leader_books (leader_id, cash, updated_at) values (${leader!.id}, '100000', now())`,
    );
    const fu = await user("follower@p.test", "follower");
    const followerAccount = await openPaperAccount(t.db, fu.id, "20000");
    await applyPaperTransfers(deps, paper);
    const web = engineDepsForWeb(t.db);
    const rel = await startCopy(web, {
      followerId: fu.id,
      leaderId: leader!.id,
      brokerAccountId: followerAccount,
      sizing: { mode: "proportional", allocation: "10000" },
      agreementVersion: "t",
    });
    await placeManualOrder(web, {
      brokerAccountId: leaderAccount,
      userId: lu.id,
      symbol: "ETH-USD",
      side: "buy",
      type: "market",
      qty: "2",
    });
    await pump(deps);
    await pump(deps);

    const viewer = { id: fu.id, email: fu.email, name: fu.displayName, role: fu.role };
    const api = createCaller({ db: t.db, viewer });
    const running = await api.portfolio.summary();
    expect(running!.positions).toHaveLength(1);
    expect(running!.positions[0]).toMatchObject({
      symbol: "ETH-USD",
      qty: "0.2",
      origin: { kind: "copy", copyId: rel, leaderName: "Lead" },
      closable: false,
    });
    // Equity is cash plus the position at the bid; P&L is equity minus the 20 000 put in.
    const p = running!;
    expect(D(p.equity).eq(D(p.cash).plus(p.positionsValue))).toBe(true);
    expect(p.invested).toBe("20000");
    expect(D(p.pnl).eq(D(p.equity).minus("20000"))).toBe(true);
    expect(D(p.pnl).isNeg()).toBe(true); // bought at the ask, valued at the bid, minus commission
    // A running copy's share cannot be sold from the portfolio.
    await expect(api.portfolio.close({ symbol: "ETH-USD" })).rejects.toMatchObject({
      code: "PRECONDITION_FAILED",
      message: expect.stringMatching(/held by a running copy/),
    });

    await stopCopy(web, rel, { reason: "STOPPED", by: "follower", closePositions: false });
    await pump(deps);
    const kept = await api.portfolio.summary();
    expect(kept!.positions[0]).toMatchObject({
      qty: "0.2",
      origin: { kind: "kept", copyId: rel },
      closable: true,
      marketOpen: true,
    });

    const closed = await api.portfolio.close({ symbol: "ETH-USD" });
    expect(closed).toMatchObject({ side: "sell", qty: "0.2" });
    const [order] = await t.db.select().from(orders).where(eq(orders.id, closed.orderId));
    expect(order).toMatchObject({
      origin: "manual",
      relationshipId: null,
      status: "pending_submit",
    });
    // The same units are not offered twice while the order works.
    await expect(api.portfolio.close({ symbol: "ETH-USD" })).rejects.toMatchObject({
      code: "CONFLICT",
    });

    await pump(deps);
    await pump(deps);
    const [filled] = await t.db.select().from(orders).where(eq(orders.id, closed.orderId));
    expect(filled!.status).toBe("filled");
    const after = await api.portfolio.summary();
    expect(after!.positions).toEqual([]);
    const [acctPos] = await t.db
      .select()
      .from(positions)
      .where(eq(positions.brokerAccountId, followerAccount));
    expect(acctPos!.qty).toBe("0");
    // The stopped copy's own record is untouched: the manual trade belongs to no copy.
    const [cp] = await t.db
      .select()
      .from(copyPositions)
      .where(eq(copyPositions.relationshipId, rel));
    expect(cp!.qty).toBe("0.2");
    // Reconciliation counts the manual fill: broker and books agree on the account.
    await reconcile(deps, "on_demand");
    const diffs = await t.db.execute<{ n: number }>(
      sql`select count(*)::int as n from reconciliation_items
           where broker_account_id = ${followerAccount} and action <> 'none'`,
    );
    expect(diffs[0]!.n).toBe(0);
  });

  it("a follower trades by hand: own units only, at no copy, refused in words", async () => {
    const fu = await user("hand@p.test", "follower");
    const account = await openPaperAccount(t.db, fu.id, "5000");
    await applyPaperTransfers(deps, paper);
    const api = createCaller({
      db: t.db,
      viewer: { id: fu.id, email: fu.email, name: "h", role: "follower" },
    });
    const ticket = await api.portfolio.ticket();
    expect(ticket.account).toMatchObject({ id: account, cash: "5000" });
    expect(ticket.instruments.find((i) => i.symbol === "ETH-USD")).toMatchObject({
      marketOpen: true,
      ask: "3200.5",
    });
    // More than the cash: refused before anything is recorded, in money, on the quantity.
    await expect(
      api.portfolio.placeOrder({ symbol: "ETH-USD", side: "buy", type: "market", qty: "2" }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/^qty: this would cost about 6404\.00 USD/),
    });
    const bought = await api.portfolio.placeOrder({
      symbol: "ETH-USD",
      side: "buy",
      type: "market",
      qty: "0.5",
    });
    await pump(deps);
    await pump(deps);
    const [order] = await t.db.select().from(orders).where(eq(orders.id, bought.orderId));
    expect(order).toMatchObject({ origin: "manual", relationshipId: null, status: "filled" });
    const view = await api.portfolio.summary();
    expect(view!.positions).toMatchObject([
      { symbol: "ETH-USD", qty: "0.5", origin: { kind: "manual" } },
    ]);
    await expect(
      api.portfolio.placeOrder({ symbol: "ETH-USD", side: "sell", type: "market", qty: "0.6" }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/^qty: you can sell up to 0\.5 ETH-USD/),
    });
    await expect(
      api.portfolio.placeOrder({ symbol: "SOL-USD", side: "sell", type: "market", qty: "1" }),
    ).rejects.toMatchObject({ message: expect.stringMatching(/^qty: you hold no SOL-USD/) });
    // Leaders trade from their console, where each fill's reach is shown.
    const lu = await user("lead2@p.test", "leader");
    await expect(
      createCaller({
        db: t.db,
        viewer: { id: lu.id, email: lu.email, name: "l", role: "leader" },
      }).portfolio.placeOrder({ symbol: "ETH-USD", side: "buy", type: "market", qty: "0.1" }),
    ).rejects.toMatchObject({ code: "PRECONDITION_FAILED" });
  });

  it("another user sees only their own account", async () => {
    const other = await user("other@p.test", "follower");
    expect(await portfolio(t.db, other.id)).toBeNull();
    const api = createCaller({
      db: t.db,
      viewer: { id: other.id, email: other.email, name: "o", role: "follower" },
    });
    await expect(api.portfolio.close({ symbol: "ETH-USD" })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(
      createCaller({ db: t.db, viewer: null }).portfolio.summary(),
    ).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  });
});
