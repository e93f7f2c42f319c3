import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb } from "../../../test/db";
import { auditLog, copyRelationships, feeSchedules, leaders, users } from "../../../db/schema";
import { nextPeriodStart } from "../../domain/fees";
import { startCopy } from "../../engine/copies/intents";
import { openPaperAccount } from "../../engine/copies/onboarding";
import { feesAtMidnight } from "../../engine/fees/settle";
import { engineDepsForWeb } from "../../engine/web-deps";
import { createCaller } from "../root";
import { enrolTestFactor } from "../../../test/second-factor";

/*
 * Who may see and change what: a statement is its follower's (staff read it, audited); a
 * leader sees only their own earnings and sets only their own fees within the caps; revenue
 * and the platform's settings are admins'; a fee change reaches a copy only once its
 * follower accepts, from the next period.
 */
let t: Awaited<ReturnType<typeof createTestDb>>;
type Role = "follower" | "leader" | "admin" | "support";
const people: Record<string, { id: string; role: Role }> = {};
let leaderId = "";
let otherLeaderId = "";
let copyId = "";

async function person(name: string, role: Role) {
  const [u] = await t.db
    .insert(users)
    .values({ email: `${name}@fees.test`, passwordHash: "!", displayName: name, role })
    .returning();
  people[name] = { id: u!.id, role };
  await enrolTestFactor(t.db, u!.id); // leader and admin procedures need a second factor
  return u!.id;
}
async function leaderOf(userId: string, handle: string) {
  const account = await openPaperAccount(t.db, userId, "100000");
  const [l] = await t.db
    .insert(leaders)
    .values({
      userId,
      handle,
      displayName: handle,
      brokerAccountId: account,
      performanceFeePct: "20",
      trackRecordStartedAt: new Date("2025-01-01T00:00:00Z"),
    })
    .returning();
  await t.db.execute(
    sql`insert into leader_books (leader_id, cash, updated_at) values (${l!.id}, '100000', now())`,
  );
  return l!.id;
}
const as = (name: string) =>
  createCaller({
    db: t.db,
    viewer: { id: people[name]!.id, email: `${name}@fees.test`, name, role: people[name]!.role },
    rateLimits: { check: async () => {} },
  });
async function copyFor(name: string) {
  const account = await openPaperAccount(t.db, people[name]!.id, "50000");
  return startCopy(engineDepsForWeb(t.db), {
    followerId: people[name]!.id,
    leaderId,
    brokerAccountId: account,
    sizing: { mode: "multiplier", allocation: "10000", factor: "0.1" },
    agreementVersion: "test",
  });
}

beforeAll(async () => {
  t = await createTestDb();
  for (const [n, r] of [
    ["ann", "follower"],
    ["bob", "follower"],
    ["lea", "leader"],
    ["leo", "leader"],
    ["adm", "admin"],
    ["sup", "support"],
  ] as const)
    await person(n, r);
  leaderId = await leaderOf(people.lea!.id, "lea");
  otherLeaderId = await leaderOf(people.leo!.id, "leo");
  copyId = await copyFor("ann");
}, 60_000);
afterAll(() => t.drop());

const code = (p: Promise<unknown>) =>
  p.then(
    () => "OK",
    (e: { code?: string }) => e.code,
  );

describe("fees: who may do what", () => {
  it("a new copy agrees to the leader's advertised fee", async () => {
    const [rel] = await t.db
      .select()
      .from(copyRelationships)
      .where(eq(copyRelationships.id, copyId));
    expect(rel!.performanceFeePct).toBe("20");
  });

  it("a statement is its follower's; staff read it (audited); nobody else", async () => {
    const own = await as("ann").fees.statement({ id: copyId });
    expect(own.readOnly).toBe(false);
    expect(own.periods.length).toBeGreaterThan(0);
    expect(await code(as("bob").fees.statement({ id: copyId }))).toBe("NOT_FOUND");
    expect(await code(as("lea").fees.statement({ id: copyId }))).toBe("NOT_FOUND");
    const support = await as("sup").fees.statement({ id: copyId });
    expect(support.readOnly).toBe(true);
    const audit = await t.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, "staff.statement_view"), eq(auditLog.targetId, copyId)));
    expect(audit.map((a) => a.actorUserId)).toEqual([people.sup!.id]);
  });

  it("earnings are a leader's own; revenue and platform settings are admins'", async () => {
    expect(await code(as("ann").fees.earnings())).toBe("FORBIDDEN");
    expect((await as("leo").fees.earnings()).rows).toEqual([]);
    expect(await code(as("sup").fees.revenue())).toBe("FORBIDDEN");
    expect(await code(as("lea").fees.revenue())).toBe("FORBIDDEN");
    expect(await code(as("adm").fees.revenue())).toBe("OK");
    expect(
      await code(as("lea").fees.setPlatformFees({ platformFeeBps: "5", platformSharePct: "20" })),
    ).toBe("FORBIDDEN");
  });

  it("a leader's fee above the cap is refused in words and changes nothing", async () => {
    const err = await as("lea")
      .fees.setMyFees({ performanceFeePct: "31", managementFeePctYear: "1", period: "month" })
      .catch((e: Error) => e);
    expect((err as Error).message).toBe("Performance fee: at most 30 %, got 31.");
    const mgmt = await as("lea")
      .fees.setMyFees({ performanceFeePct: "20", managementFeePctYear: "3.5", period: "month" })
      .catch((e: Error) => e);
    expect((mgmt as Error).message).toBe("Management fee: at most 3 % a year, got 3.5.");
    expect(await t.db.select().from(feeSchedules)).toEqual([]);
  });

  it("a change is a new version the follower must accept; it applies from the next period", async () => {
    expect(
      (
        await as("lea").fees.setMyFees({
          performanceFeePct: "25",
          managementFeePctYear: "2",
          period: "month",
        })
      ).version,
    ).toBe(1);
    const offer = (await as("ann").fees.offer({ id: copyId })).offered!;
    expect(offer).toMatchObject({ version: 1, performanceFeePct: "25", accepted: false });
    expect(await code(as("bob").fees.accept({ id: copyId, scheduleId: offer.scheduleId }))).toBe(
      "NOT_FOUND",
    );
    const { effectiveAt } = await as("ann").fees.accept({
      id: copyId,
      scheduleId: offer.scheduleId,
    });
    expect(effectiveAt).toBe(nextPeriodStart(new Date(), "month").toISOString());
    // Not yet: the period under way keeps the terms it started with.
    let [rel] = await t.db.select().from(copyRelationships).where(eq(copyRelationships.id, copyId));
    expect([rel!.performanceFeePct, rel!.managementFeePctYear]).toEqual(["20", null]);
    await feesAtMidnight(engineDepsForWeb(t.db), new Date(effectiveAt));
    [rel] = await t.db.select().from(copyRelationships).where(eq(copyRelationships.id, copyId));
    expect([rel!.performanceFeePct, rel!.managementFeePctYear]).toEqual(["25", "2"]);
    expect((await as("ann").fees.offer({ id: copyId })).offered).toBeNull();
    const audit = await t.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, "copy.fee_terms_accepted"), eq(auditLog.targetId, copyId)));
    expect(audit).toHaveLength(1);
  });

  it("a follower who does not accept keeps the old terms; a new copy gets the new ones", async () => {
    await as("adm").fees.setPlatformFees({ platformFeeBps: "5", platformSharePct: "20" });
    const offer = (await as("ann").fees.offer({ id: copyId })).offered!;
    expect(offer).toMatchObject({ version: 2, platformFeeBps: "5" });
    await feesAtMidnight(
      engineDepsForWeb(t.db),
      nextPeriodStart(new Date(offer.effectiveAt), "month"),
    );
    const [rel] = await t.db
      .select()
      .from(copyRelationships)
      .where(eq(copyRelationships.id, copyId));
    expect(rel!.platformFeeBps).toBeNull();
    const bobCopy = await copyFor("bob");
    const [b] = await t.db
      .select()
      .from(copyRelationships)
      .where(eq(copyRelationships.id, bobCopy));
    expect([b!.performanceFeePct, b!.managementFeePctYear, b!.platformFeeBps]).toEqual([
      "25",
      "2",
      "5",
    ]);
    expect((await as("bob").fees.offer({ id: bobCopy })).offered).toBeNull();
    void otherLeaderId;
  });
});
