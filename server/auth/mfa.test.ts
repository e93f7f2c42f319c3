import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog, totpFactors } from "../../db/schema";
import { createTestDb } from "../../test/db";
import { SecretBox, keyId } from "../secrets/secret-box";
import { signInWithPassword, signUp } from "./accounts";
import { completePendingSignIn, SecondFactorRequired } from "./mfa";
import { issueRecoveryCodes, spendRecoveryCode } from "./recovery-codes";
import { secondFactorProvenAt } from "./step-up";
import { beginTotpEnrolment, checkTotp, totpCode, verifyUserTotp } from "./totp";

let t: Awaited<ReturnType<typeof createTestDb>>;
const key = Buffer.alloc(32, 7);
const box = new SecretBox({ id: keyId(key), key });
const client = { ip: "198.51.100.20", userAgent: "Vitest" };
let userId: string;
let secret: string;

beforeAll(async () => {
  t = await createTestDb();
  const u = await signUp(t.db, {
    email: "mia@example.test",
    password: "mia-password-1",
    displayName: "Mia",
  });
  userId = u.id;
});
afterAll(() => t.drop());

describe("TOTP", () => {
  it("accepts a code one step either side, refuses two steps away", async () => {
    const s = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    const now = new Date("2026-12-02T02:00:10Z");
    const at = (sec: number) => new Date(now.getTime() + sec * 1000);
    expect(await checkTotp(s, await totpCode(s, at(-30)), now, null)).not.toBeNull();
    expect(await checkTotp(s, await totpCode(s, at(30)), now, null)).not.toBeNull();
    expect(await checkTotp(s, await totpCode(s, at(-70)), now, null)).toBeNull();
    expect(await checkTotp(s, await totpCode(s, at(70)), now, null)).toBeNull();
    expect(await checkTotp(s, "12345", now, null)).toBeNull();
  });

  it("enrolment stores the secret sealed; the first code confirms; the same code is refused again", async () => {
    const started = await beginTotpEnrolment(t.db, box, { id: userId, email: "mia@example.test" });
    secret = started!.secret;
    expect(started!.uri).toMatch(/^otpauth:\/\/totp\/Tandem:mia%40example\.test\?.*secret=/);
    const [row] = await t.db.select().from(totpFactors).where(eq(totpFactors.userId, userId));
    expect(row!.secretSealed).not.toContain(secret);
    expect(row!.confirmedAt).toBeNull();
    const now = new Date();
    const code = await totpCode(secret, now);
    // Unconfirmed: sign-in and step-up do not accept it yet.
    expect(await verifyUserTotp(t.db, box, userId, code, { now })).toBe(false);
    expect(await verifyUserTotp(t.db, box, userId, code, { now, confirming: true })).toBe(true);
    // Replay of the very same code (and of the previous step's) is refused.
    expect(await verifyUserTotp(t.db, box, userId, code, { now })).toBe(false);
    const earlier = await totpCode(secret, new Date(now.getTime() - 30_000));
    expect(await verifyUserTotp(t.db, box, userId, earlier, { now })).toBe(false);
    // A confirmed factor is not silently replaced by a new enrolment.
    expect(await beginTotpEnrolment(t.db, box, { id: userId, email: "x" })).toBeNull();
  });
});

describe("recovery codes", () => {
  it("ten, each good once, typed loosely", async () => {
    const codes = await issueRecoveryCodes(t.db, userId);
    expect(new Set(codes).size).toBe(10);
    const loose = codes[0]!.toUpperCase().replace(/-/g, " ");
    expect(await spendRecoveryCode(t.db, userId, loose)).toBe(true);
    expect(await spendRecoveryCode(t.db, userId, codes[0]!)).toBe(false);
    expect(await spendRecoveryCode(t.db, userId, "aaaa-bbbb-cccc")).toBe(false);
    const [a, b] = await Promise.all([
      spendRecoveryCode(t.db, userId, codes[1]!),
      spendRecoveryCode(t.db, userId, codes[1]!),
    ]);
    expect([a, b].filter(Boolean)).toHaveLength(1);
  });
});

describe("sign-in with a second factor", () => {
  const password = { email: "mia@example.test", password: "mia-password-1" };

  it("a wrong password says nothing about the second factor", async () => {
    const err = await signInWithPassword(t.db, { ...password, password: "nope-nope-nope" }, client)
      .then(() => null)
      .catch((e: Error) => e);
    expect(err?.message).toBe("Wrong e-mail or password.");
  });

  it("the right password gives a pending token, not a session; a code finishes it", async () => {
    const err = await signInWithPassword(t.db, password, client).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecondFactorRequired);
    const token = (err as SecondFactorRequired).token;
    await expect(
      completePendingSignIn(t.db, box, null, token, { code: "000000" }, client),
    ).rejects.toThrow(/Code: that is not/);
    const later = new Date(Date.now() + 31_000);
    const user = await completePendingSignIn(
      t.db,
      box,
      null,
      token,
      { code: await totpCode(secret, later) },
      client,
      later,
    );
    expect(user.email).toBe("mia@example.test");
    expect(await secondFactorProvenAt(t.db, user.sessionId)).toEqual(later);
    // Single use: the token is spent.
    await expect(
      completePendingSignIn(t.db, box, null, token, { code: "123456" }, client),
    ).rejects.toThrow(/timed out/);
    const rows = await t.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.actorUserId, userId), eq(auditLog.action, "user.sign_in")));
    expect(rows.at(-1)!.details).toMatchObject({ secondFactor: "totp" });
  });

  it("five wrong codes end the pending sign-in", async () => {
    const err = (await signInWithPassword(t.db, password, client).catch((e: unknown) => e)) as {
      token: string;
    };
    for (let i = 0; i < 5; i++)
      await expect(
        completePendingSignIn(t.db, box, null, err.token, { code: "000000" }, client),
      ).rejects.toThrow(/Code: that is not/);
    const codes = await issueRecoveryCodes(t.db, userId);
    await expect(
      completePendingSignIn(t.db, box, null, err.token, { code: codes[0]! }, client),
    ).rejects.toThrow(/timed out/);
  });
});
