import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq, sql } from "drizzle-orm";
import { createTestDb } from "../../test/db";
import * as s from "../../db/schema";
import { openPaperAccount } from "../engine/copies/onboarding";
import { noMutationLimits } from "../auth/rate-limits";
import { upsertCatalogue } from "../market/catalogue";
import { AGREEMENT_VERSION } from "../queries/copies";
import type { Viewer } from "../auth/session";
import { appRouter, createCaller } from "./root";
import { provenViewer } from "../../test/second-factor";

/**
 * Issue 14, "Audit": copy start/pause/resume/stop/allocation, deposits and withdrawals and
 * staff trace look-ups were not in the audit log, rows carried no address, nothing stopped
 * a row from being changed, and no page showed the log. A bio that failed after its write
 * left the bio written and no audit row.
 */
let t: Awaited<ReturnType<typeof createTestDb>>;
const CLIENT = { ip: "203.0.113.7", userAgent: "audit-test/1.0" };
const people: Record<string, Viewer> = {};
let leaderId = "";

const as = (who: string) =>
  createCaller({ db: t.db, viewer: people[who]!, client: CLIENT, rateLimits: noMutationLimits });

async function person(name: string, role: Viewer["role"]) {
  const [u] = await t.db
    .insert(s.users)
    .values({ email: `${name}@audit.test`, passwordHash: "!", displayName: name, role })
    .returning();
  // A second factor enrolled and just proved: staff and leader procedures and step-up actions need it.
  people[name] = await provenViewer(t.db, u!.id, { client: CLIENT });
  return u!;
}

beforeAll(async () => {
  t = await createTestDb();
  await upsertCatalogue(t.db);
  const lu = await person("lena", "leader");
  const account = await openPaperAccount(t.db, lu.id, "100000");
  const [l] = await t.db
    .insert(s.leaders)
    .values({
      userId: lu.id,
      handle: "lena",
      displayName: "Lena",
      brokerAccountId: account,
      trackRecordStartedAt: new Date("2025-01-01T00:00:00Z"),
      strategy: "Index funds, held for months.",
    })
    .returning();
  leaderId = l!.id;
  await t.db.execute(
    sql`insert into leader_books (leader_id, cash, updated_at) values (${leaderId}, '100000', now())`,
  );
  await t.db
    .insert(s.quotes)
    .values([
      { symbol: "SPY", bid: "499.95", ask: "500.05", at: new Date() },
      { symbol: "ETH-USD", bid: "3199.5", ask: "3200.5", at: new Date() },
    ])
    .onConflictDoNothing();
  const fu = await person("finn", "follower");
  await openPaperAccount(t.db, fu.id, "20000");
  await person("ada", "admin");
  await person("sam", "support");
}, 120_000);
afterAll(() => t.drop());

async function rows(action: string) {
  return t.db.select().from(s.auditLog).where(eq(s.auditLog.action, action));
}

describe("every money- and security-relevant action is audited, with address and user agent", () => {
  it("copy start, pause, resume, allocation, limits, stop; deposit and withdrawal", async () => {
    const finn = as("finn");
    await finn.account.deposit({ amount: "1000" });
    await finn.account.withdraw({ amount: "500" });
    const { id } = await finn.copies.start({
      leaderId,
      sizing: { mode: "proportional", amount: "5000" },
      limits: {
        copyStopLossPct: "20",
        maxSymbolExposure: null,
        maxOpenPositions: null,
        maxSlippageBps: null,
        dailyLossLimit: null,
      },
      consent: true,
      agreementVersion: AGREEMENT_VERSION,
    });
    await finn.copies.pause({ id });
    await finn.copies.resume({ id });
    await finn.copies.setAllocation({ id, allocation: "6000" });
    await finn.copies.setLimits({
      id,
      limits: {
        copyStopLossPct: "25",
        maxSymbolExposure: null,
        maxOpenPositions: 5,
        maxSlippageBps: null,
        dailyLossLimit: null,
      },
    });
    await finn.copies.stop({ id, closePositions: true });
    const expected = [
      "account.deposit",
      "account.withdraw",
      "copy.start",
      "copy.pause",
      "copy.resume",
      "copy.allocation_set",
      "copy.limits_set",
      "copy.stop",
    ];
    const mine = await t.db
      .select()
      .from(s.auditLog)
      .where(eq(s.auditLog.actorUserId, people.finn!.id))
      .orderBy(s.auditLog.id);
    expect(mine.map((r) => r.action)).toEqual(expected);
    for (const r of mine) expect(r).toMatchObject({ ip: CLIENT.ip, userAgent: CLIENT.userAgent });
    expect(mine.find((r) => r.action === "account.withdraw")!.details).toMatchObject({
      amount: "500",
      currency: "USD",
    });
    expect(mine.find((r) => r.action === "copy.allocation_set")!).toMatchObject({
      targetId: id,
      details: { before: "5000", after: "6000" },
    });
  });

  it("staff trace look-ups, breaker open and close, manual orders", async () => {
    await expect(as("sam").admin.trace({ ref: "cp-nothing" })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    const [trace] = await rows("staff.trace");
    expect(trace).toMatchObject({
      actorUserId: people.sam!.id,
      details: { ref: "cp-nothing", found: false },
      ip: CLIENT.ip,
    });
    const { id } = await as("ada").admin.openBreaker({
      scope: "instrument",
      key: "SPY",
      reason: "exchange halt",
    });
    await as("ada").admin.closeBreaker({ id: id! });
    expect(await rows("breaker.open")).toMatchObject([
      { actorUserId: people.ada!.id, targetId: "SPY", ip: CLIENT.ip },
    ]);
    expect(await rows("breaker.close")).toMatchObject([
      { actorUserId: people.ada!.id, ip: CLIENT.ip },
    ]);
    // Crypto trades around the clock (the server refuses orders for a closed market).
    await as("lena").leaderConsole.placeOrder({
      symbol: "ETH-USD",
      side: "buy",
      type: "market",
      qty: "0.1",
    });
    expect(await rows("order.place")).toMatchObject([
      { actorUserId: people.lena!.id, ip: CLIENT.ip, userAgent: CLIENT.userAgent },
    ]);
  });
});

describe("the audit log is append-only", () => {
  it("refuses UPDATE, DELETE and TRUNCATE, even for the table's owner", async () => {
    const before = await t.db.select().from(s.auditLog);
    expect(before.length).toBeGreaterThan(0);
    await expect(t.db.execute(sql`update audit_log set action = 'nothing'`)).rejects.toMatchObject({
      cause: { message: expect.stringContaining("append-only") },
    });
    await expect(t.db.execute(sql`delete from audit_log`)).rejects.toMatchObject({
      cause: { message: expect.stringContaining("append-only") },
    });
    await expect(t.db.execute(sql`truncate audit_log`)).rejects.toMatchObject({
      cause: { message: expect.stringContaining("append-only") },
    });
    expect(await t.db.select().from(s.auditLog)).toEqual(before);
  });
});

describe("a write and its audit row commit together", () => {
  it("when the audit row cannot be written, the profile change is not kept either", async () => {
    const lena = as("lena");
    const before = (await t.db.select().from(s.leaders).where(eq(s.leaders.id, leaderId)))[0]!;
    // Make the audit insert fail for this one action: the write before it must roll back.
    await t.db.execute(sql`
      create function fail_profile_audit() returns trigger language plpgsql as $$
      begin
        if new.action = 'leader.profile_update' then raise exception 'audit store unavailable'; end if;
        return new;
      end $$`);
    await t.db.execute(sql`
      create trigger fail_profile_audit before insert on audit_log
        for each row execute function fail_profile_audit()`);
    try {
      await expect(
        lena.leaderConsole.updateProfile({
          displayName: "Lena",
          bio: "A new bio that must not be kept without its audit row.",
          strategy: before.strategy,
        }),
      ).rejects.toMatchObject({ code: "INTERNAL_SERVER_ERROR" });
    } finally {
      await t.db.execute(sql`drop trigger fail_profile_audit on audit_log`);
      await t.db.execute(sql`drop function fail_profile_audit()`);
    }
    const after = (await t.db.select().from(s.leaders).where(eq(s.leaders.id, leaderId)))[0]!;
    expect(after.bio).toBe(before.bio);
  });

  it("a bio with a lone surrogate is refused in words and writes nothing", async () => {
    const lena = as("lena");
    const count = async () => (await t.db.select().from(s.auditLog)).length;
    const n = await count();
    await expect(
      lena.leaderConsole.updateProfile({
        displayName: "Lena",
        bio: "broken \ud800 text",
        strategy: "Index funds, held for months.",
      }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: "Bio contains characters that are not valid text; retype it",
    });
    expect((await t.db.select().from(s.leaders).where(eq(s.leaders.id, leaderId)))[0]!.bio).toBe(
      "",
    );
    expect(await count()).toBe(n);
  });
});

describe("staff search the audit log; support reads it too; nobody else", () => {
  it("by user, by action (prefix), by time; paged", async () => {
    const admin = as("ada").admin;
    const byFinn = await admin.audit({ user: "finn@audit" });
    expect(byFinn.rows.map((r) => r.action)).toContain("copy.start");
    expect(byFinn.rows.every((r) => r.actorEmail === "finn@audit.test")).toBe(true);
    const byId = await admin.audit({ user: people.finn!.id });
    expect(byId.rows).toHaveLength(byFinn.rows.length);
    const copies = await admin.audit({ action: "copy." });
    expect(new Set(copies.rows.map((r) => r.action))).toEqual(
      new Set([
        "copy.start",
        "copy.pause",
        "copy.resume",
        "copy.allocation_set",
        "copy.limits_set",
        "copy.stop",
      ]),
    );
    const future = await admin.audit({ from: "2999-01-01" });
    expect(future.rows).toEqual([]);
    const today = new Date().toISOString().slice(0, 10);
    expect((await admin.audit({ from: today, to: today })).rows.length).toBeGreaterThan(0);
    const page1 = await admin.audit({ limit: 3 });
    expect(page1.rows).toHaveLength(3);
    const page2 = await admin.audit({ limit: 3, before: page1.nextBefore! });
    expect(page2.rows[0]!.id).toBeLessThan(page1.rows[2]!.id);
    // LIKE wildcards are text: "%" matches no e-mail.
    expect((await admin.audit({ user: "%" })).rows).toEqual([]);
  });

  it("support sees it read-only; followers and leaders are refused; bad filters are named", async () => {
    await expect(as("sam").admin.audit({})).resolves.toMatchObject({ rows: expect.any(Array) });
    await expect(as("finn").admin.audit({})).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(as("lena").admin.audit({})).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(as("ada").admin.audit({ from: "yesterday" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: "From must be a date like 2026-11-03 or 2026-11-03T14:05",
    });
    // There is no procedure that changes the log: the router has none to call.
    const procedures = Object.keys(appRouter._def.procedures);
    expect(procedures.filter((p) => /audit/i.test(p))).toEqual([
      "admin.audit",
      "admin.auditActions",
    ]);
  });
});
