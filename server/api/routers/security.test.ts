import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog, passkeys, recoveryCodes, totpFactors, users } from "../../../db/schema";
import { createTestDb } from "../../../test/db";
import { provenViewer } from "../../../test/second-factor";
import { noMutationLimits } from "../../auth/rate-limits";
import { issueRecoveryCodes } from "../../auth/recovery-codes";
import { createSession, type Viewer } from "../../auth/sessions";
import { createCaller } from "../root";

/** Removing a second factor (docs/adr/0050 amendment): step-up, the last one kept, audited. */
let t: Awaited<ReturnType<typeof createTestDb>>;
const as = (viewer: Viewer) => createCaller({ db: t.db, viewer, rateLimits: noMutationLimits });

async function person(email: string, role: Viewer["role"]) {
  const [u] = await t.db
    .insert(users)
    .values({ email, passwordHash: "!", displayName: email, role })
    .returning();
  return u!.id;
}
/** A real passkey row (what registration stores); the tests never sign with it. */
async function addPasskey(userId: string, id: string) {
  await t.db.insert(passkeys).values({ id, userId, publicKey: "pQECAyYgASFYIA", label: id });
}

beforeAll(async () => {
  t = await createTestDb();
});
afterAll(() => t.drop());

describe("security.removeFactor", () => {
  it("needs a fresh second factor, and changes nothing without one", async () => {
    const id = await person("lea@sec.test", "leader");
    await addPasskey(id, "pk-lea-1");
    const stale = await provenViewer(t.db, id, { proven: false });
    await expect(
      as(stale).security.removeFactor({ kind: "passkey", id: "pk-lea-1" }),
    ).rejects.toMatchObject({ code: "FORBIDDEN", cause: { publicCode: "STEP_UP_REQUIRED" } });
    expect(await t.db.select().from(passkeys).where(eq(passkeys.userId, id))).toHaveLength(1);
  });

  it("a leader removes a passkey and then the app down to one, never the last", async () => {
    const id = await person("leo@sec.test", "leader");
    await addPasskey(id, "pk-leo-1");
    const me = await provenViewer(t.db, id); // an authenticator app plus the passkey
    await as(me).security.removeFactor({ kind: "passkey", id: "pk-leo-1" });
    expect(await t.db.select().from(passkeys).where(eq(passkeys.userId, id))).toEqual([]);
    const refused = await as(me)
      .security.removeFactor({ kind: "totp" })
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: "PRECONDITION_FAILED" });
    expect((refused as Error).message).toMatch(/only second factor.*must keep one/);
    expect(await t.db.select().from(totpFactors).where(eq(totpFactors.userId, id))).toHaveLength(1);
    const [row] = await t.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.actorUserId, id), eq(auditLog.action, "user.mfa_removed")));
    expect(row!.details).toMatchObject({ method: "passkey", passkeyId: "pk-leo-1", left: 1 });
    const status = await as(me).security.status();
    expect(status).toMatchObject({ totp: true, passkeys: 0, passkeyList: [] });
  });

  it("a follower may remove their only factor; its recovery codes go with it", async () => {
    const id = await person("fay@sec.test", "follower");
    const me = await provenViewer(t.db, id);
    await issueRecoveryCodes(t.db, id);
    await as(me).security.removeFactor({ kind: "totp" });
    expect(await t.db.select().from(totpFactors).where(eq(totpFactors.userId, id))).toEqual([]);
    expect(await t.db.select().from(recoveryCodes).where(eq(recoveryCodes.userId, id))).toEqual([]);
  });

  it("someone else's passkey is no such passkey; a missing id is named", async () => {
    const owner = await person("own@sec.test", "follower");
    await addPasskey(owner, "pk-own-1");
    const other = await provenViewer(t.db, await person("oth@sec.test", "follower"));
    await expect(
      as(other).security.removeFactor({ kind: "passkey", id: "pk-own-1" }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(as(other).security.removeFactor({ kind: "passkey" })).rejects.toThrow(
      /Passkey: choose which one/,
    );
    expect(await t.db.select().from(passkeys).where(eq(passkeys.userId, owner))).toHaveLength(1);
  });
});

describe("security.stepUp", () => {
  it("ends after 5 wrong answers in 15 minutes; a right answer does not count", async () => {
    const id = await person("guess@sec.test", "follower");
    // Recovery codes as the right answers: the test's authenticator secret is sealed with
    // another key than the server's, so its codes cannot be checked here.
    const sessionId = await createSession(t.db, id, { ip: "198.51.100.1", userAgent: "Vitest" });
    const me: Viewer = { id, email: "guess@sec.test", name: "guess", role: "follower", sessionId };
    const [first, second] = await issueRecoveryCodes(t.db, id);
    const wrong = () => as(me).security.stepUp({ code: "000000" });
    for (let i = 0; i < 4; i++)
      await expect(wrong()).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(as(me).security.stepUp({ code: first! })).resolves.toEqual({
      method: "recovery_code",
    });
    await expect(wrong()).rejects.toMatchObject({ code: "BAD_REQUEST" });
    // The sixth try is refused before it is checked, even with a right answer.
    const refused = await as(me)
      .security.stepUp({ code: second! })
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: "TOO_MANY_REQUESTS" });
    expect((refused as Error).message).toMatch(
      /^Too many wrong codes\. Try again in 15 minutes\.$/,
    );
    const left = await t.db.select().from(recoveryCodes).where(eq(recoveryCodes.userId, id));
    expect(left.filter((c) => c.usedAt === null)).toHaveLength(left.length - 1);
  });
});
