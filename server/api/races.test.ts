import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and, eq, sql } from "drizzle-orm";
import { createTestDb } from "../../test/db";
import * as s from "../../db/schema";
import { openPaperAccount } from "../engine/copies/onboarding";
import { NO_LIMITS } from "../engine/testing/limits";
import { noMutationLimits } from "../auth/rate-limits";
import { D } from "../domain/money";
import { AGREEMENT_VERSION } from "../queries/copies";
import { availableToAllocate } from "../queries/accounts";
import { createCaller } from "./root";

/**
 * Issue 14, "Races": four parallel copies.start allocated 100 000 against 25 000 cash (two
 * on the same leader) and three parallel withdrawals of 10 000 against 15 000 available all
 * succeeded. Every check that guards money now runs inside the transaction that writes,
 * under the account's balance row lock (and a unique index for one live copy per leader).
 */
let t: Awaited<ReturnType<typeof createTestDb>>;
const leaderIds: string[] = [];
let n = 0;
const tally = { races: 0, violations: 0 };

beforeAll(async () => {
  t = await createTestDb();
  for (const name of ["Alpha", "Beta", "Gamma"]) {
    const [u] = await t.db
      .insert(s.users)
      .values({ email: `${name}@race.test`, passwordHash: "!", displayName: name, role: "leader" })
      .returning();
    const account = await openPaperAccount(t.db, u!.id, "100000");
    const [l] = await t.db
      .insert(s.leaders)
      .values({
        userId: u!.id,
        handle: name.toLowerCase(),
        displayName: name,
        brokerAccountId: account,
        trackRecordStartedAt: new Date("2025-01-01T00:00:00Z"),
      })
      .returning();
    await t.db.execute(
      sql`insert into leader_books (leader_id, cash, updated_at) values (${l!.id}, '100000', now())`,
    );
    leaderIds.push(l!.id);
  }
}, 120_000);
afterAll(() => {
  console.log(`races: ${tally.races} parallel races tried, ${tally.violations} violations`);
  return t.drop();
});

/** A follower with a funded account, calling through the real router. */
async function follower(cash: string) {
  const [u] = await t.db
    .insert(s.users)
    .values({
      email: `f${++n}@race.test`,
      passwordHash: "!",
      displayName: `F${n}`,
      role: "follower",
    })
    .returning();
  const accountId = await openPaperAccount(t.db, u!.id, cash);
  const api = createCaller({
    db: t.db,
    viewer: { id: u!.id, email: u!.email, name: u!.displayName, role: "follower" },
    client: { ip: "203.0.113.9", userAgent: "race-test" },
    rateLimits: noMutationLimits,
  });
  return { userId: u!.id, accountId, api };
}

const start = (leaderId: string, amount: string) => ({
  leaderId,
  sizing: { mode: "proportional" as const, amount },
  limits: NO_LIMITS,
  consent: true as const,
  agreementVersion: AGREEMENT_VERSION,
});

async function liveCopies(userId: string) {
  return t.db
    .select()
    .from(s.copyRelationships)
    .where(
      and(
        eq(s.copyRelationships.followerId, userId),
        sql`${s.copyRelationships.status} <> 'stopped'`,
      ),
    );
}

async function cash(accountId: string) {
  const [b] = await t.db
    .select()
    .from(s.accountBalances)
    .where(eq(s.accountBalances.brokerAccountId, accountId));
  return b!.cash;
}

describe("parallel requests cannot spend the same money twice", () => {
  it("four parallel copies.start of 25 000 (two on one leader) against 25 000 cash: one copy", async () => {
    for (let round = 0; round < 5; round++) {
      const f = await follower("25000");
      const results = await Promise.allSettled([
        f.api.copies.start(start(leaderIds[0]!, "25000")),
        f.api.copies.start(start(leaderIds[0]!, "25000")),
        f.api.copies.start(start(leaderIds[1]!, "25000")),
        f.api.copies.start(start(leaderIds[2]!, "25000")),
      ]);
      tally.races++;
      const live = await liveCopies(f.userId);
      const allocated = live.reduce((a, c) => a.plus(c.allocation!), D(0));
      const perLeader = new Set(live.map((c) => c.leaderId));
      if (live.length !== 1 || allocated.gt(25000) || perLeader.size !== live.length)
        tally.violations++;
      expect(live).toHaveLength(1);
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      for (const r of results)
        if (r.status === "rejected")
          expect(r.reason).toMatchObject({
            message: expect.stringMatching(
              /^(Amount: you have 0\.00 USD available|You already copy this leader)/,
            ),
          });
      expect((await availableToAllocate(t.db, f.accountId)).available).toBe("0");
    }
  });

  it("two parallel starts on the same leader with money for both: still one live copy", async () => {
    for (let round = 0; round < 5; round++) {
      const f = await follower("100000");
      const results = await Promise.allSettled([
        f.api.copies.start(start(leaderIds[1]!, "1000")),
        f.api.copies.start(start(leaderIds[1]!, "1000")),
        f.api.copies.start(start(leaderIds[1]!, "1000")),
      ]);
      tally.races++;
      const live = await liveCopies(f.userId);
      if (live.length !== 1) tally.violations++;
      expect(live).toHaveLength(1);
      expect(results.filter((r) => r.status === "rejected").map((r) => r.reason.code)).toEqual([
        "CONFLICT",
        "CONFLICT",
      ]);
    }
  });

  it("the database holds one live copy per follower and leader even without the checks", async () => {
    const f = await follower("1000");
    const row = {
      followerId: f.userId,
      leaderId: leaderIds[2]!,
      brokerAccountId: f.accountId,
      referenceCapital: "100",
      agreementVersion: "raw",
      consentedAt: new Date(),
      startedAt: new Date(),
    };
    await t.db.insert(s.copyRelationships).values(row);
    await expect(t.db.insert(s.copyRelationships).values(row)).rejects.toMatchObject({
      cause: { constraint_name: "copy_rel_one_live_idx" },
    });
    // A stopped copy does not count: a new live one may follow it.
    await t.db
      .update(s.copyRelationships)
      .set({ status: "stopped" })
      .where(eq(s.copyRelationships.followerId, f.userId));
    await expect(t.db.insert(s.copyRelationships).values(row)).resolves.toBeDefined();
  });

  it("three parallel withdrawals of 10 000 against 15 000 available: one goes through", async () => {
    for (let round = 0; round < 5; round++) {
      const f = await follower("25000");
      await f.api.copies.start(start(leaderIds[0]!, "10000"));
      expect((await availableToAllocate(t.db, f.accountId)).available).toBe("15000");
      const results = await Promise.allSettled([
        f.api.account.withdraw({ amount: "10000" }),
        f.api.account.withdraw({ amount: "10000" }),
        f.api.account.withdraw({ amount: "10000" }),
      ]);
      tally.races++;
      const ok = results.filter((r) => r.status === "fulfilled").length;
      if (ok !== 1 || (await cash(f.accountId)) !== "15000") tally.violations++;
      expect(ok).toBe(1);
      expect(await cash(f.accountId)).toBe("15000");
      for (const r of results)
        if (r.status === "rejected")
          expect(r.reason).toMatchObject({
            code: "BAD_REQUEST",
            message:
              "Amount: you can withdraw at most 5000 USD; the rest is allocated to your copies. Lower a copy's amount first.",
          });
    }
  });

  it("a start, a withdrawal and an allocation raise in parallel never promise more than the cash", async () => {
    for (let round = 0; round < 5; round++) {
      const f = await follower("25000");
      const { id } = await f.api.copies.start(start(leaderIds[0]!, "10000"));
      await Promise.allSettled([
        f.api.copies.start(start(leaderIds[1]!, "15000")),
        f.api.account.withdraw({ amount: "15000" }),
        f.api.copies.setAllocation({ id, allocation: "25000" }),
      ]);
      tally.races++;
      const live = await liveCopies(f.userId);
      const promised = live.reduce((a, c) => a.plus(c.allocation!), D(0));
      const left = D(await cash(f.accountId));
      if (promised.gt(left) || left.isNeg()) tally.violations++;
      expect(promised.lte(left)).toBe(true);
      expect(left.gte(0)).toBe(true);
    }
  });
});
