import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb } from "../../test/db";
import { AuthError, signUp, verifyCredentials } from "./accounts";
import { MAX_FAILURES } from "./throttle";
import { users } from "../../db/schema";

let t: Awaited<ReturnType<typeof createTestDb>>;
beforeAll(async () => {
  t = await createTestDb();
});
afterAll(() => t.drop());

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

  it("verifies the right password and rejects a wrong one", async () => {
    await expect(
      verifyCredentials(t.db, "mixed@example.test", "long-enough-pw"),
    ).resolves.toMatchObject({ email: "mixed@example.test" });
    await expect(verifyCredentials(t.db, "mixed@example.test", "wrong")).rejects.toMatchObject({
      code: "INVALID_CREDENTIALS",
    });
    await expect(verifyCredentials(t.db, "nobody@example.test", "whatever")).rejects.toMatchObject({
      code: "INVALID_CREDENTIALS",
    });
  });

  it("throttles repeated failures, even when the right password follows, until the lock expires", async () => {
    await signUp(t.db, {
      email: "target@example.test",
      password: "the-right-password",
      displayName: "Tom",
    });
    const now = new Date("2026-11-24T10:00:00Z");
    for (let i = 0; i < MAX_FAILURES; i++) {
      await expect(
        verifyCredentials(t.db, "target@example.test", `guess-${i}`, now),
      ).rejects.toMatchObject({ code: "INVALID_CREDENTIALS" });
    }
    await expect(
      verifyCredentials(t.db, "target@example.test", "the-right-password", now),
    ).rejects.toMatchObject({ code: "THROTTLED" });
    const later = new Date(now.getTime() + 16 * 60_000);
    await expect(
      verifyCredentials(t.db, "target@example.test", "the-right-password", later),
    ).resolves.toMatchObject({ email: "target@example.test" });
  });
});
