import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog, brokerAccounts, leaders, notifications, users } from "../../db/schema";
import { createTestDb } from "../../test/db";
import { createCaller } from "../api/root";
import { signUp } from "../auth/accounts";
import { noMutationLimits } from "../auth/rate-limits";
import type { Viewer } from "../auth/sessions";
import { enrolTestFactor } from "../../test/second-factor";

let t: Awaited<ReturnType<typeof createTestDb>>;
let follower: Viewer;
let other: Viewer;
let supportUser: Viewer;
let accountId: string;

const as = (viewer: Viewer) =>
  createCaller({
    db: t.db,
    viewer,
    rateLimits: noMutationLimits,
    client: { ip: "198.51.100.7", userAgent: "Vitest" },
  });

async function user(email: string, role: Viewer["role"] = "follower"): Promise<Viewer> {
  const u = await signUp(
    t.db,
    { email, password: "long-password-1", displayName: email.split("@")[0] },
    role,
  );
  // Support and admin procedures need an enrolled second factor.
  if (role !== "follower") await enrolTestFactor(t.db, u.id);
  return { id: u.id, email: u.email, name: u.name, role: u.role };
}

const application = () => ({
  displayName: "Nina Swing",
  handle: "nina-swing",
  strategy: "Swing trades in large US tech, two to ten days, never more than 20% in one name.",
  instruments: ["AAPL", "MSFT"],
  brokerAccountId: accountId,
});

beforeAll(async () => {
  t = await createTestDb();
  follower = await user("nina@example.test");
  other = await user("otto@example.test");
  supportUser = await user("sue@example.test", "support");
  const [acct] = await t.db
    .select()
    .from(brokerAccounts)
    .where(eq(brokerAccounts.userId, follower.id));
  accountId = acct!.id;
});
afterAll(() => t.drop());

describe("leader applications", () => {
  it("refuses someone else's account and bad input in words, writing nothing", async () => {
    const [otherAcct] = await t.db
      .select()
      .from(brokerAccounts)
      .where(eq(brokerAccounts.userId, other.id));
    await expect(
      as(follower).applications.submit({ ...application(), brokerAccountId: otherAcct!.id }),
    ).rejects.toThrow(/Trading account: choose one of your own/);
    await expect(
      as(follower).applications.submit({ ...application(), handle: "x" }),
    ).rejects.toThrow(/Handle:/);
    expect((await as(follower).applications.mine()).applications).toHaveLength(0);
  });

  it("one pending application per user, even when sent twice at once", async () => {
    const results = await Promise.allSettled([
      as(follower).applications.submit(application()),
      as(follower).applications.submit(application()),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const refused = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect(String(refused.reason.message)).toMatch(/already have an application waiting/);
  });

  it("a follower cannot list or decide; support approves with a reason; the user becomes a leader", async () => {
    const [pending] = await as(supportUser).applications.list({ status: "pending" });
    expect(pending).toMatchObject({ handle: "nina-swing", email: "nina@example.test" });
    await expect(as(other).applications.list({ status: "pending" })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    await expect(
      as(other).applications.decide({
        id: pending!.id,
        decision: "approve",
        reason: "Looks fine to me",
      }),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(
      as(supportUser).applications.decide({ id: pending!.id, decision: "approve", reason: "" }),
    ).rejects.toThrow(/Reason/);
    const review = await as(supportUser).applications.get({ id: pending!.id });
    expect(review.history).toMatchObject({ copies: 0, orders: 0 });
    expect(review.history.audit.map((a) => a.action)).toContain("leader_application.submitted");

    const decided = await as(supportUser).applications.decide({
      id: pending!.id,
      decision: "approve",
      reason: "Six months of steady paper trading.",
    });
    expect(decided.status).toBe("approved");
    const [u] = await t.db.select().from(users).where(eq(users.id, follower.id));
    expect(u!.role).toBe("leader");
    const [l] = await t.db.select().from(leaders).where(eq(leaders.userId, follower.id));
    expect(l).toMatchObject({ handle: "nina-swing", brokerAccountId: accountId });
    const [n] = await t.db
      .select()
      .from(notifications)
      .where(eq(notifications.userId, follower.id));
    expect(n).toMatchObject({ kind: "leader_application", title: "You are a leader now" });
    // Decided once: a second decision is refused.
    await expect(
      as(supportUser).applications.decide({
        id: pending!.id,
        decision: "refuse",
        reason: "Changed my mind",
      }),
    ).rejects.toMatchObject({ code: "CONFLICT" });
    const actions = await t.db
      .select({ action: auditLog.action, actor: auditLog.actorUserId, ip: auditLog.ip })
      .from(auditLog)
      .where(
        and(eq(auditLog.targetType, "leader_application"), eq(auditLog.targetId, pending!.id)),
      );
    expect(actions.map((a) => a.action).sort()).toEqual([
      "leader_application.approved",
      "leader_application.submitted",
    ]);
    expect(actions.find((a) => a.action.endsWith("approved"))).toMatchObject({
      actor: supportUser.id,
      ip: "198.51.100.7",
    });
  });

  it("nobody decides their own application; a refusal keeps the role", async () => {
    const [acct] = await t.db
      .select()
      .from(brokerAccounts)
      .where(eq(brokerAccounts.userId, other.id));
    const app = await as(other).applications.submit({
      ...application(),
      handle: "otto-trades",
      brokerAccountId: acct!.id,
    });
    // Otto is promoted to support meanwhile (say), with a second factor: still not his own decision.
    await enrolTestFactor(t.db, other.id);
    await expect(
      as({ ...other, role: "support" }).applications.decide({
        id: app.id,
        decision: "approve",
        reason: "Self approval",
      }),
    ).rejects.toThrow(/your own application/);
    await as(supportUser).applications.decide({
      id: app.id,
      decision: "refuse",
      reason: "Too little history yet.",
    });
    const [u] = await t.db.select().from(users).where(eq(users.id, other.id));
    expect(u!.role).toBe("follower");
  });

  it("the applicant withdraws a pending application (audited); then nobody can decide it", async () => {
    const wendy = await user("wendy@apply.test");
    const [acct] = await t.db
      .select()
      .from(brokerAccounts)
      .where(eq(brokerAccounts.userId, wendy.id));
    const input = { ...application(), handle: "wendy-waits", brokerAccountId: acct!.id };
    const app = await as(wendy).applications.submit(input);
    // Another user's withdrawal is refused as if the application did not exist.
    await expect(as(other).applications.withdraw({ id: app.id })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(as(wendy).applications.withdraw({ id: app.id })).resolves.toMatchObject({
      status: "withdrawn",
    });
    await expect(as(wendy).applications.withdraw({ id: app.id })).rejects.toThrow(
      /already withdrawn/,
    );
    await expect(
      as(supportUser).applications.decide({
        id: app.id,
        decision: "approve",
        reason: "Looks good.",
      }),
    ).rejects.toThrow(/already withdrawn/);
    const [audit] = await t.db
      .select()
      .from(auditLog)
      .where(
        and(eq(auditLog.targetId, app.id), eq(auditLog.action, "leader_application.withdrawn")),
      );
    expect(audit).toMatchObject({ actorUserId: wendy.id });
    // Withdrawn is not pending: she may apply again.
    await expect(as(wendy).applications.submit(input)).resolves.toMatchObject({
      id: expect.any(String),
    });
  });
});
