import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb } from "../../test/db";
import {
  AuthError,
  publicSignUp,
  register,
  SIGN_UP_ANSWER,
  signInWithPassword,
  signUp,
  verifyCredentials,
} from "./accounts";
import { auditLog, users } from "../../db/schema";

let t: Awaited<ReturnType<typeof createTestDb>>;
beforeAll(async () => {
  t = await createTestDb();
});
afterAll(() => t.drop());

const client = { ip: "198.51.100.7", userAgent: "vitest" };

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

describe("accounts", () => {
  it("signs up with a lower-cased e-mail and an argon2id hash, never the password", async () => {
    const u = await signUp(t.db, {
      email: "  Mixed@Example.TEST ",
      password: "long-enough-pw",
      displayName: "Mia",
    });
    expect(u.email).toBe("mixed@example.test");
    expect(u.role).toBe("follower");
    const [row] = await t.db.select().from(users);
    expect(row?.passwordHash.startsWith("$argon2id$")).toBe(true);
    expect(row?.passwordHash).not.toContain("long-enough-pw");
  });

  it("refuses a second account with the same e-mail, whatever its case", async () => {
    await expect(
      signUp(t.db, {
        email: "MIXED@example.test",
        password: "another-long-pw",
        displayName: "Mia 2",
      }),
    ).rejects.toMatchObject({ code: "EMAIL_TAKEN" });
  });

  it("names what is wrong with malformed input and creates nothing", async () => {
    const before = (await t.db.select().from(users)).length;
    const err = await signUp(t.db, { email: "nope", password: "short", displayName: "" }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AuthError);
    expect((err as AuthError).message).toMatch(/valid e-mail/);
    expect((err as AuthError).message).toMatch(/at least 10 characters/);
    expect((await t.db.select().from(users)).length).toBe(before);
  });

  it("verifies the right password and rejects a wrong one, or an unknown e-mail, alike", async () => {
    await expect(
      verifyCredentials(t.db, "mixed@example.test", "long-enough-pw"),
    ).resolves.toMatchObject({ email: "mixed@example.test" });
    const wrong = await verifyCredentials(t.db, "mixed@example.test", "wrong").catch((e) => e);
    const unknown = await verifyCredentials(t.db, "nobody@example.test", "whatever").catch(
      (e) => e,
    );
    expect(wrong).toMatchObject({
      code: "INVALID_CREDENTIALS",
      message: "Wrong e-mail or password.",
    });
    expect(unknown).toMatchObject({ code: wrong.code, message: wrong.message });
  });

  it("an unknown e-mail costs a password hash like a wrong password (timing)", async () => {
    // Before: an unknown e-mail skipped the hash and answered in about a millisecond.
    await verifyCredentials(t.db, "warm-up@example.test", "x").catch(() => {});
    const time = async (email: string) => {
      const s = performance.now();
      await verifyCredentials(t.db, email, "not-the-password").catch(() => {});
      return performance.now() - s;
    };
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 7; i++) {
      known.push(await time("mixed@example.test"));
      unknown.push(await time(`nobody-${i}@example.test`));
    }
    const k = median(known);
    const u = median(unknown);
    expect(u).toBeGreaterThan(k * 0.6);
    expect(u).toBeLessThan(k * 1.6);
  });

  it("sign-up answers the same, in about the same time, for a new and an existing e-mail", async () => {
    // Before: an existing e-mail answered CONFLICT "already exists" and a new one its id.
    const times = { fresh: [] as number[], taken: [] as number[] };
    for (let i = 0; i < 3; i++) {
      const s1 = performance.now();
      const fresh = await publicSignUp(
        t.db,
        { email: `fresh-${i}@example.test`, password: "long-enough-pw", displayName: "Fay" },
        client,
      );
      times.fresh.push(performance.now() - s1);
      const s2 = performance.now();
      const taken = await publicSignUp(
        t.db,
        { email: "mixed@example.test", password: "someone-elses-pw", displayName: "Eve" },
        client,
      );
      times.taken.push(performance.now() - s2);
      expect(fresh).toEqual(SIGN_UP_ANSWER);
      expect(taken).toEqual(fresh);
    }
    const f = median(times.fresh);
    const k = median(times.taken);
    expect(Math.abs(f - k)).toBeLessThan(Math.max(f, k) * 0.25);
    // The existing account is untouched and the attempt is on record.
    await expect(
      verifyCredentials(t.db, "mixed@example.test", "long-enough-pw"),
    ).resolves.toBeTruthy();
    const rows = await t.db
      .select()
      .from(auditLog)
      .where(eq(auditLog.action, "user.sign_up_existing_email"));
    // Three from here, plus the EMAIL_TAKEN case above (no client address).
    expect(rows.filter((r) => r.ip === client.ip)).toHaveLength(3);
    expect(rows.at(-1)).toMatchObject({ ip: client.ip, userAgent: client.userAgent });
  });

  it("sign-up writes the user, the paper account and the audit row together", async () => {
    const r = await register(
      t.db,
      { email: "whole@example.test", password: "long-enough-pw", displayName: "Wes" },
      client,
    );
    expect(r.created).toBe(true);
    const rows = await t.db.select().from(auditLog).where(eq(auditLog.action, "user.sign_up"));
    expect(rows.at(-1)?.details).toMatchObject({ ip: client.ip, userAgent: "vitest" });
  });

  it("audits sign-ins that succeed and fail, with address and user agent", async () => {
    const ok = await signInWithPassword(
      t.db,
      { email: "mixed@example.test", password: "long-enough-pw" },
      client,
    );
    expect(ok.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    await expect(
      signInWithPassword(t.db, { email: "mixed@example.test", password: "nope-nope" }, client),
    ).rejects.toMatchObject({ code: "INVALID_CREDENTIALS" });
    await expect(
      signInWithPassword(t.db, { email: "ghost@example.test", password: "nope-nope" }, client),
    ).rejects.toMatchObject({ code: "INVALID_CREDENTIALS" });
    const rows = await t.db.select().from(auditLog);
    const success = rows.filter((r) => r.action === "user.sign_in");
    const failed = rows.filter((r) => r.action === "user.sign_in_failed");
    expect(success).toHaveLength(1);
    expect(success[0]).toMatchObject({ actorUserId: ok.id, ip: client.ip });
    expect(success[0]!.details).toMatchObject({
      ip: client.ip,
      userAgent: "vitest",
      sessionId: ok.sessionId,
    });
    expect(failed).toHaveLength(2);
    expect(failed.map((r) => r.actorUserId)).toEqual([ok.id, null]);
    for (const f of failed) expect(f.details).toMatchObject({ ip: client.ip, userAgent: "vitest" });
  });
});
