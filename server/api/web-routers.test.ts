import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb } from "../../test/db";
import { seedDemoWorld } from "../demo/seed";
import * as s from "../../db/schema";
import { createCaller } from "./root";
import type { Viewer } from "../auth/session";
import { AGREEMENT_VERSION } from "../queries/copies";

let t: Awaited<ReturnType<typeof createTestDb>>;
const users: Record<string, Viewer> = {};
let steadyId = "";
let newId = "";

beforeAll(async () => {
  t = await createTestDb();
  await seedDemoWorld(t.db);
  for (const u of await t.db.select().from(s.users)) {
    users[u.email] = { id: u.id, email: u.email, name: u.displayName, role: u.role };
  }
  const ls = await t.db.select().from(s.leaders);
  steadyId = ls.find((l) => l.handle === "steady-etf")!.id;
  // The engine sizes proportional copies from the leader's book (cash + positions). The demo
  // seed does not open leader books yet, so give each leader its last snapshot's equity.
  for (const l of ls) {
    const snaps = await t.db
      .select()
      .from(s.equitySnapshots)
      .where(eq(s.equitySnapshots.ownerId, l.id));
    const last = snaps.sort((a, b) => (a.day < b.day ? -1 : 1)).at(-1);
    await t.db
      .insert(s.leaderBooks)
      .values({ leaderId: l.id, cash: last?.equity ?? "10000", updatedAt: new Date() })
      .onConflictDoNothing();
  }
  newId = ls.find((l) => l.handle === "new-futures")!.id;
  // The price feed is the worker's; the ticket's orders need a quote to be valued.
  await t.db
    .insert(s.quotes)
    .values({ symbol: "ETH-USD", bid: "3199.5", ask: "3200.5", at: new Date() })
    .onConflictDoNothing();
}, 180_000);
afterAll(() => t.drop());

const as = (email: string | null) =>
  createCaller({ db: t.db, viewer: email ? users[email]! : null });
const limits = {
  copyStopLossPct: "15",
  maxSymbolExposure: "2500",
  maxOpenPositions: 10,
  maxSlippageBps: 100,
  dailyLossLimit: "500",
};
const startInput = (leaderId: string, amount = "5000") => ({
  leaderId,
  sizing: { mode: "proportional" as const, amount },
  limits,
  consent: true as const,
  agreementVersion: AGREEMENT_VERSION,
});

describe("copy flow through the routers", () => {
  let copyId = "";

  it("anonymous callers cannot copy or read copies", async () => {
    await expect(as(null).copies.mine()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    await expect(as(null).copies.start(startInput(steadyId))).rejects.toMatchObject({
      code: "UNAUTHORIZED",
    });
  });

  it("refuses an amount above the available cash, and below the leader minimum", async () => {
    const frida = as("follower@tandem.test");
    // Start from an empty account whatever the demo world funded (this exercises withdraw too).
    const before = await frida.account.summary();
    if (before && before.funds.available !== "0")
      await frida.account.withdraw({ amount: before.funds.available });
    await expect(frida.copies.start(startInput(steadyId))).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/^Amount: you have 0.00 USD available/),
    });
    await frida.account.deposit({ amount: "6000" });
    await expect(frida.copies.start(startInput(steadyId, "50"))).rejects.toMatchObject({
      message: expect.stringMatching(/minimum for this leader is 100.00 USD/),
    });
    await expect(frida.copies.start(startInput(steadyId, "7000"))).rejects.toMatchObject({
      message: expect.stringMatching(/6,000.00 USD available/),
    });
    expect((await frida.copies.mine()).filter((c) => c.leader.handle === "steady-etf")).toEqual([]);
  });

  it("refuses without consent, with a stale agreement, and for a too-new leader", async () => {
    const frida = as("follower@tandem.test");
    await expect(
      frida.copies.start({ ...startInput(steadyId), consent: false as unknown as true }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining("Consent") });
    await expect(
      frida.copies.start({ ...startInput(steadyId), agreementVersion: "old" }),
    ).rejects.toMatchObject({
      code: "CONFLICT",
    });
    await expect(frida.copies.start(startInput(newId))).rejects.toMatchObject({
      code: "PRECONDITION_FAILED",
      message: expect.stringContaining("track record"),
    });
  });

  it("starts a copy with consent recorded, and shows it on the dashboard", async () => {
    const frida = as("follower@tandem.test");
    const { id } = await frida.copies.start(startInput(steadyId));
    copyId = id;
    const [rel] = await t.db
      .select()
      .from(s.copyRelationships)
      .where(eq(s.copyRelationships.id, id));
    expect(rel).toMatchObject({
      agreementVersion: AGREEMENT_VERSION,
      allocation: "5000",
      copyStopLossPct: "15",
    });
    expect(rel!.consentedAt).toBeInstanceOf(Date);
    const mine = await frida.copies.mine();
    expect(mine.find((c) => c.id === id)).toMatchObject({
      status: "active",
      leader: { handle: "steady-etf" },
    });
    await expect(frida.copies.start(startInput(steadyId, "500"))).rejects.toMatchObject({
      code: "CONFLICT",
    });
    const detail = await frida.copies.detail({ id });
    expect(detail.limits.maxOpenPositions).toBe(10);
    expect((await frida.account.summary())!.funds.available).toBe("1000");
  });

  it("another user's copy is NOT_FOUND for reads and every mutation", async () => {
    const bob = as("bob@tandem.test");
    await expect(bob.copies.detail({ id: copyId })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(bob.copies.pause({ id: copyId })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(bob.copies.resume({ id: copyId })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(bob.copies.stop({ id: copyId, closePositions: true })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(bob.copies.setAllocation({ id: copyId, allocation: "100" })).rejects.toMatchObject(
      { code: "NOT_FOUND" },
    );
    await expect(bob.copies.setLimits({ id: copyId, limits })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(
      bob.copies.detail({ id: "00000000-0000-4000-8000-000000000000" }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect((await bob.copies.mine()).map((c) => c.id)).not.toContain(copyId);
    const [rel] = await t.db
      .select()
      .from(s.copyRelationships)
      .where(eq(s.copyRelationships.id, copyId));
    expect(rel!.status).toBe("active");
  });

  it("pause, resume, edit limits, change amount, stop", async () => {
    const frida = as("follower@tandem.test");
    await frida.copies.pause({ id: copyId });
    expect((await frida.copies.detail({ id: copyId })).status).toBe("paused");
    await frida.copies.resume({ id: copyId });
    await frida.copies.setLimits({
      id: copyId,
      limits: { ...limits, maxOpenPositions: 3, dailyLossLimit: null },
    });
    const d = await frida.copies.detail({ id: copyId });
    expect(d.limits).toMatchObject({ maxOpenPositions: 3, dailyLossLimit: null });
    await expect(
      frida.copies.setAllocation({ id: copyId, allocation: "9000" }),
    ).rejects.toMatchObject({
      message: expect.stringContaining("Amount: at most"),
    });
    await frida.copies.setAllocation({ id: copyId, allocation: "5500" });
    expect((await frida.copies.detail({ id: copyId })).allocation).toBe("5500");
    await expect(frida.account.withdraw({ amount: "600" })).rejects.toMatchObject({
      message: expect.stringContaining("at most 500"),
    });
    await frida.copies.stop({ id: copyId, closePositions: false });
    const stopped = await frida.copies.detail({ id: copyId });
    expect(stopped.status).toBe("stopped");
    await expect(frida.copies.pause({ id: copyId })).rejects.toMatchObject({ code: "CONFLICT" });
    await frida.account.withdraw({ amount: "600" });
  });

  it("a multiplier copy's reference capital is the amount set aside, not the account's cash", async () => {
    const frida = as("follower@tandem.test");
    const { id } = await frida.copies.start({
      ...startInput(steadyId),
      sizing: { mode: "multiplier" as const, amount: "1000", factor: "0.5" },
    });
    const [rel] = await t.db
      .select()
      .from(s.copyRelationships)
      .where(eq(s.copyRelationships.id, id));
    const [bal] = await t.db
      .select()
      .from(s.accountBalances)
      .where(eq(s.accountBalances.brokerAccountId, rel!.brokerAccountId));
    // The stop-loss, the fees' high-water mark and "why my numbers differ" measure from it.
    expect(bal!.cash).not.toBe("1000");
    expect(rel).toMatchObject({ sizingMode: "multiplier", ratio: "0.5", referenceCapital: "1000" });
    await frida.copies.stop({ id, closePositions: false });
  });
});

describe("leader console", () => {
  it("is for leaders only", async () => {
    await expect(as("follower@tandem.test").leaderConsole.overview()).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
  });

  it("places a market order as an intent, validates fields, and cancels", async () => {
    const grace = as("steady-etf@tandem.test");
    const o = await grace.leaderConsole.overview();
    expect(o.leader.handle).toBe("steady-etf");
    await expect(
      grace.leaderConsole.placeOrder({ symbol: "SPY", side: "buy", type: "market", qty: "0" }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/^Quantity must be greater than 0/),
    });
    await expect(
      grace.leaderConsole.placeOrder({ symbol: "SPY", side: "buy", type: "limit", qty: "1" }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("Limit price"),
    });
    // Crypto trades around the clock: the server refuses orders for a closed market.
    const placed = await grace.leaderConsole.placeOrder({
      symbol: "ETH-USD",
      side: "buy",
      type: "market",
      qty: "0.5",
    });
    const after = await grace.leaderConsole.overview();
    expect(after.openOrders.map((x) => x.id)).toContain(placed.orderId);
    // another leader cannot cancel it
    await expect(
      as("tech-momentum@tandem.test").leaderConsole.cancelOrder({ orderId: placed.orderId }),
    ).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await grace.leaderConsole.cancelOrder({ orderId: placed.orderId });
  });

  it("edits the public profile", async () => {
    const grace = as("steady-etf@tandem.test");
    await grace.leaderConsole.updateProfile({
      displayName: "Grace W.",
      bio: "Boring on purpose.",
      strategy: "Long-only ETFs, weeks.",
    });
    const p = await as(null).leaders.profile({ handle: "steady-etf" });
    expect(p.leader.displayName).toBe("Grace W.");
    await expect(as(null).leaders.profile({ handle: "nope" })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  });
});
