import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { createTestDb } from "../../test/db";
import { apiKeys, auditLog, brokerAccounts, leaders, users } from "../../db/schema";
import { createCaller } from "../api/root";
import { signUp } from "../auth/accounts";
import { noMutationLimits } from "../auth/rate-limits";
import { provenViewer } from "../../test/second-factor";
import { recordSecondFactorProof } from "../auth/step-up";

/** The leader console's API keys through tRPC: who may, step-up, shown once, revoke, audit. */
let t: Awaited<ReturnType<typeof createTestDb>>;
const client = { ip: "198.51.100.7", userAgent: "Vitest" };

/** A fresh session of this user with a second factor enrolled but not yet re-proved. */
async function signedIn(email: string) {
  const [u] = await t.db.select().from(users).where(eq(users.email, email));
  const viewer = await provenViewer(t.db, u!.id, { proven: false, client });
  return { viewer, api: createCaller({ db: t.db, viewer, client, rateLimits: noMutationLimits }) };
}

beforeAll(async () => {
  t = await createTestDb();
  const lu = await signUp(
    t.db,
    { email: "lee@x.test", password: "pass-word-123", displayName: "Lee" },
    "leader",
  );
  await t.db.insert(leaders).values({
    userId: lu.id,
    handle: "lee",
    displayName: "Lee",
    // Sign-up opened the funded paper account the leader trades in.
    brokerAccountId: (
      await t.db.select().from(brokerAccounts).where(eq(brokerAccounts.userId, lu.id))
    )[0]!.id,
    trackRecordStartedAt: new Date(),
  });
  await signUp(t.db, { email: "fay@x.test", password: "pass-word-123", displayName: "Fay" });
});
afterAll(() => t.drop());

describe("API keys in the leader console", () => {
  it("creating a key needs a fresh second factor; the secret is shown once and kept sealed", async () => {
    const { viewer, api } = await signedIn("lee@x.test");
    const refused = await api.apiKeys
      .create({ label: "bot", scopes: ["trade"] })
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: "FORBIDDEN" });
    expect((refused as Error).message).toMatch(/Confirm it's you/);
    expect(await t.db.select().from(apiKeys)).toHaveLength(0);

    await recordSecondFactorProof(t.db, viewer.sessionId!, "totp");
    const key = await api.apiKeys.create({ label: "bot", scopes: ["trade", "read"] });
    expect(key.keyId).toMatch(/^tk_/);
    expect(key.secret).toMatch(/^tks_[A-Za-z0-9_-]{43}$/);
    const listed = await api.apiKeys.list();
    expect(listed.limitOrders).toBe(false);
    expect(listed.keys).toHaveLength(1);
    expect(JSON.stringify(listed)).not.toContain(key.secret);
    const [row] = await t.db.select().from(apiKeys).where(eq(apiKeys.id, key.id));
    expect(row!.sealedSecret).not.toContain(key.secret.slice(4));
    const [audit] = await t.db.select().from(auditLog).where(eq(auditLog.targetId, key.id));
    expect(audit).toMatchObject({ action: "api_key.create", ip: client.ip });
    expect(JSON.stringify(audit!.details)).not.toContain(key.secret);
  });

  it("bad input names the field; a follower can neither list nor revoke keys", async () => {
    const { viewer, api } = await signedIn("lee@x.test");
    await recordSecondFactorProof(t.db, viewer.sessionId!, "totp");
    await expect(api.apiKeys.create({ label: "x", scopes: [] })).rejects.toThrow(
      /Scopes: choose at least one/,
    );
    await expect(api.apiKeys.create({ label: "x", scopes: ["admin" as never] })).rejects.toThrow(
      /Scopes/,
    );
    const fay = await signedIn("fay@x.test");
    await expect(fay.api.apiKeys.list()).rejects.toMatchObject({ code: "FORBIDDEN" });
    const [k] = await api.apiKeys.list().then((l) => l.keys);
    await expect(fay.api.apiKeys.revoke({ id: k!.id })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
  });

  it("revokes once (audited), and turns limit orders on for the API", async () => {
    const { api } = await signedIn("lee@x.test");
    const [k] = await api.apiKeys.list().then((l) => l.keys);
    const revoked = await api.apiKeys.revoke({ id: k!.id });
    expect(revoked.revokedAt).not.toBeNull();
    await expect(api.apiKeys.revoke({ id: k!.id })).rejects.toThrow(/already revoked/);
    await expect(
      api.apiKeys.revoke({ id: "00000000-0000-4000-8000-000000000000" }),
    ).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    expect((await api.apiKeys.setLimitOrders({ allowed: true })).limitOrders).toBe(true);
    expect((await api.apiKeys.list()).limitOrders).toBe(true);
    const actions = (await t.db.select().from(auditLog)).map((a) => a.action);
    expect(actions).toEqual(expect.arrayContaining(["api_key.revoke", "api.order_types"]));
  });
});
