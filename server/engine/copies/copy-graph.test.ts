import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and, eq, sql } from "drizzle-orm";
import { createTestDb } from "../../../test/db";
import { paperEngine } from "../testing/test-world";
import { NO_LIMITS } from "../testing/limits";
import {
  accountBalances,
  brokerAccounts,
  copyRelationships,
  leaderPositions,
  leaders,
  positions,
  users,
} from "../../../db/schema";
import { PaperBroker } from "../../brokers/paper";
import { ManualClock } from "../../domain/clock";
import { type EngineDeps } from "../deps";
import { placeManualOrder } from "../execute/manual-orders";
import { applyPaperTransfers } from "../execute/transfers";
import { pump } from "../pump";
import { engineDepsForWeb } from "../web-deps";
import { openPaperAccount } from "./onboarding";
import { startCopy, stopCopy, type CopyTerms } from "./intents";
import { createCaller } from "../../api/root";
import { AGREEMENT_VERSION } from "../../queries/copies";

/**
 * Issue 14: two leaders copying each other at factor 1 turned one 0.01 BTC buy into 0.69 BTC
 * each within 2 s: each leader's copy traded in the leader's own account, so every copied
 * fill was a new leader fill, copied back. The copy graph now has rules, checked under one
 * lock: a leader's trading account is never a follower account, and no copy closes a loop.
 */
let t: Awaited<ReturnType<typeof createTestDb>>;
let deps: EngineDeps;
let paper: PaperBroker;
const clock = new ManualClock(new Date("2026-03-03T15:00:00Z"));
const web = () => engineDepsForWeb(t.db);

type Person = { userId: string; leaderId: string; leaderAccount: string; name: string };
const people: Record<string, Person> = {};

async function leaderPerson(name: string): Promise<Person> {
  const [u] = await t.db
    .insert(users)
    .values({ email: `${name}@graph.test`, passwordHash: "!", displayName: name, role: "leader" })
    .returning();
  const account = await openPaperAccount(t.db, u!.id, "100000");
  const [l] = await t.db
    .insert(leaders)
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
  return { userId: u!.id, leaderId: l!.id, leaderAccount: account, name };
}

/** A second, follower-only account for a person (what a leader must use to copy anyone). */
async function followerAccount(p: Person, label: string): Promise<string> {
  const [a] = await t.db
    .insert(brokerAccounts)
    .values({ userId: p.userId, broker: "paper", externalId: `${p.name}-${label}` })
    .returning();
  await t.db
    .insert(accountBalances)
    .values({ brokerAccountId: a!.id, currency: "USD", cash: "50000", updatedAt: clock.now() });
  return a!.id;
}

const terms = (follower: Person, leader: Person, account: string): CopyTerms => ({
  followerId: follower.userId,
  leaderId: leader.leaderId,
  brokerAccountId: account,
  sizing: { mode: "multiplier", allocation: "1000", factor: "1" },
  agreementVersion: "t",
});

beforeAll(async () => {
  t = await createTestDb();
  ({ paper, deps } = await paperEngine(t.db, clock, "graph", {
    symbol: "BTC-USD",
    bid: "64990",
    ask: "65010",
  }));
  for (const n of ["Ada", "Ben", "Cy", "Dee", "Eve"]) people[n] = await leaderPerson(n);
  await applyPaperTransfers(deps, paper);
}, 120_000);
afterAll(() => t.drop());

describe("the x69 loop cannot happen", () => {
  it("two leaders copying each other at factor 1 from their leader accounts are refused; one 0.01 BTC buy stays 0.01 BTC", async () => {
    const { Ada, Ben } = people as Record<string, Person>;
    // Exactly the attack: each leader copies the other from the account it trades as leader.
    await expect(startCopy(web(), terms(Ada!, Ben!, Ada!.leaderAccount))).rejects.toMatchObject({
      code: "LEADER_ACCOUNT",
      message: expect.stringContaining("leader's trading account"),
    });
    await expect(startCopy(web(), terms(Ben!, Ada!, Ben!.leaderAccount))).rejects.toMatchObject({
      code: "LEADER_ACCOUNT",
    });
    // The database refuses it too, whatever code path tries.
    await expect(
      t.db.insert(copyRelationships).values({
        followerId: Ada!.userId,
        leaderId: Ben!.leaderId,
        brokerAccountId: Ada!.leaderAccount,
        referenceCapital: "1000",
        agreementVersion: "raw",
        consentedAt: clock.now(),
        startedAt: clock.now(),
      }),
    ).rejects.toMatchObject({ cause: { constraint_name: "copy_rel_not_leader_account" } });
    expect(await t.db.select().from(copyRelationships)).toEqual([]);

    // Ada buys 0.01 BTC; the engine runs to quiescence. No copy feeds it back.
    await placeManualOrder(web(), {
      brokerAccountId: Ada!.leaderAccount,
      userId: Ada!.userId,
      symbol: "BTC-USD",
      side: "buy",
      type: "market",
      qty: "0.01",
    });
    await pump(deps, { maxRounds: 50 });
    const pos = async (p: Person) =>
      (
        await t.db
          .select()
          .from(leaderPositions)
          .where(
            and(eq(leaderPositions.leaderId, p.leaderId), eq(leaderPositions.symbol, "BTC-USD")),
          )
      )[0]?.qty ?? "0";
    expect(await pos(Ada!)).toBe("0.01");
    expect(await pos(Ben!)).toBe("0");
    const held = await t.db
      .select()
      .from(positions)
      .where(
        and(eq(positions.brokerAccountId, Ada!.leaderAccount), eq(positions.symbol, "BTC-USD")),
      );
    expect(held[0]?.qty).toBe("0.01");
  });

  it("the web refuses a leader copying from their leader account, with the reason in words", async () => {
    const { Ada, Ben } = people as Record<string, Person>;
    const ada = createCaller({
      db: t.db,
      viewer: { id: Ada!.userId, email: "Ada@graph.test", name: "Ada", role: "leader" },
      rateLimits: { check: async () => {} },
    });
    await expect(
      ada.copies.start({
        leaderId: Ben!.leaderId,
        sizing: { mode: "multiplier", amount: "1000", factor: "1" },
        limits: NO_LIMITS,
        consent: true,
        agreementVersion: AGREEMENT_VERSION,
      }),
    ).rejects.toMatchObject({
      code: "PRECONDITION_FAILED",
      message: expect.stringMatching(/leader's trading account.*cannot copy anyone/),
    });
  });
});

describe("no copy closes a loop of people", () => {
  it("A copies B, then B copying A is refused and names the loop; a longer loop too", async () => {
    const { Ada, Ben, Cy } = people as Record<string, Person>;
    const ab = await startCopy(web(), terms(Ada!, Ben!, await followerAccount(Ada!, "f1")));
    await expect(
      startCopy(web(), terms(Ben!, Ada!, await followerAccount(Ben!, "f1"))),
    ).rejects.toMatchObject({
      code: "COPY_CYCLE",
      message:
        "Copying Ada would close a loop: Ada copies you. Each trade would be copied round the loop again and again, so this copy is refused.",
    });
    const bc = await startCopy(web(), terms(Ben!, Cy!, await followerAccount(Ben!, "f2")));
    await expect(
      startCopy(web(), terms(Cy!, Ada!, await followerAccount(Cy!, "f1"))),
    ).rejects.toMatchObject({
      code: "COPY_CYCLE",
      message: expect.stringContaining("Ada copies Ben, and Ben copies you"),
    });
    // A stopped copy is no longer an edge: after Ada stops copying Ben, Ben may copy Ada.
    await stopCopy(web(), ab, { reason: "STOPPED", by: "test", closePositions: false });
    await stopCopy(web(), bc, { reason: "STOPPED", by: "test", closePositions: false });
    const ba = await startCopy(web(), terms(Ben!, Ada!, await followerAccount(Ben!, "f3")));
    await stopCopy(web(), ba, { reason: "STOPPED", by: "test", closePositions: false });
  });

  it("parallel starts that would together close a loop: exactly one wins, every round", async () => {
    const { Dee, Eve } = people as Record<string, Person>;
    const rounds = 15;
    let violations = 0;
    for (let i = 0; i < rounds; i++) {
      const [a, b] = [await followerAccount(Dee!, `p${i}`), await followerAccount(Eve!, `p${i}`)];
      const results = await Promise.allSettled([
        startCopy(web(), terms(Dee!, Eve!, a)),
        startCopy(web(), terms(Eve!, Dee!, b)),
      ]);
      const won = results.filter((r) => r.status === "fulfilled");
      const lost = results.filter((r) => r.status === "rejected");
      if (won.length !== 1) violations++;
      for (const r of lost)
        expect((r as PromiseRejectedResult).reason).toMatchObject({ code: "COPY_CYCLE" });
      for (const r of won)
        await stopCopy(web(), (r as PromiseFulfilledResult<string>).value, {
          reason: "STOPPED",
          by: "test",
          closePositions: false,
        });
    }
    console.log(
      `copy-graph races: ${rounds} rounds of 2 parallel starts, ${violations} violations`,
    );
    expect(violations).toBe(0);
  });
});
