import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb } from "../../test/db";
import { auditLog } from "../../db/schema";
import { AuthError, signInWithPassword, signUp } from "./accounts";
import * as password from "./password";
import { DEFAULT_THROTTLE, SignInThrottle, type ThrottleConfig } from "./sign-in-throttle";

let t: Awaited<ReturnType<typeof createTestDb>>;
beforeAll(async () => {
  t = await createTestDb();
  for (const email of ["admin@example.test", "spray@example.test", "slow@example.test"])
    await signUp(t.db, { email, password: "the-right-password", displayName: "Ada" });
});
afterAll(() => t.drop());

const attacker = { ip: "203.0.113.66", userAgent: "hydra" };
const owner = { ip: "198.51.100.10", userAgent: "Firefox" };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Counts how many times a password was actually checked (argon2 verify). */
async function countingVerifies<T>(fn: () => Promise<T>): Promise<{ result: T; verifies: number }> {
  const { vi } = await import("vitest");
  const spy = vi.spyOn(password, "verifyPassword");
  try {
    const result = await fn();
    return { result, verifies: spy.mock.calls.length };
  } finally {
    spy.mockRestore();
  }
}

describe("sign-in throttling", () => {
  it("30 parallel wrong passwords get exactly 5 evaluated; the rest answer THROTTLED with a wait in words", async () => {
    // Before: a read-then-write counter let 8 of 30 parallel guesses through.
    const throttle = new SignInThrottle(t.db, DEFAULT_THROTTLE, "race");
    const { result, verifies } = await countingVerifies(() =>
      Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          signInWithPassword(
            t.db,
            { email: "admin@example.test", password: `guess-${i}` },
            attacker,
            throttle,
          ).catch((e: AuthError) => e),
        ),
      ),
    );
    const codes = result.map((e) => (e as AuthError).code);
    expect(codes.filter((c) => c === "INVALID_CREDENTIALS")).toHaveLength(5);
    expect(codes.filter((c) => c === "THROTTLED")).toHaveLength(25);
    expect(verifies).toBe(5);
    const throttled = result.filter((e) => (e as AuthError).code === "THROTTLED") as AuthError[];
    for (const e of throttled) {
      expect(e.message).toMatch(
        /^Too many sign-in attempts\. Wait \d+ (seconds?|minutes?) and try again\.$/,
      );
      expect(e.retryAfterSeconds).toBeGreaterThan(0);
    }
    // The next attempt is due 5 s after the window opened (parallel ones that held a later
    // number at the time were told the later due time).
    expect(Math.min(...throttled.map((e) => e.retryAfterSeconds!))).toBeLessThanOrEqual(5);
    // Only the evaluated five count: the refused 25 gave their numbers back.
  });

  it("the attacker cannot lock the real user out: the owner signs in from their own address at once", async () => {
    // Before: 5 failures on the e-mail locked everyone out of it for 15 minutes.
    const throttle = new SignInThrottle(t.db, DEFAULT_THROTTLE, "lockout");
    for (let i = 0; i < 8; i++)
      await signInWithPassword(
        t.db,
        { email: "admin@example.test", password: `guess-${i}` },
        attacker,
        throttle,
      ).catch(() => {});
    await expect(
      signInWithPassword(
        t.db,
        { email: "admin@example.test", password: "the-right-password" },
        attacker,
        throttle,
      ),
    ).rejects.toMatchObject({ code: "THROTTLED" });
    await expect(
      signInWithPassword(
        t.db,
        { email: "admin@example.test", password: "the-right-password" },
        owner,
        throttle,
      ),
    ).resolves.toMatchObject({ email: "admin@example.test" });
  });

  it("slows down progressively: each evaluated attempt past the allowance doubles the wait", async () => {
    // Schedule with free 2, base 2 s: extra attempt 1 due at +2 s, 2 at +6 s, 3 at +14 s.
    const cfg: ThrottleConfig = {
      ...DEFAULT_THROTTLE,
      emailIp: { free: 2, windowSec: 600, baseDelaySec: 2, maxDelaySec: 600 },
    };
    const throttle = new SignInThrottle(t.db, cfg, "progressive");
    const attempt = (pw = "wrong-password") =>
      signInWithPassword(
        t.db,
        { email: "slow@example.test", password: pw },
        attacker,
        throttle,
      ).then(
        () => ({ code: "ok", wait: 0 }),
        (e: AuthError) => ({ code: e.code, wait: e.retryAfterSeconds ?? 0 }),
      );
    expect((await attempt()).code).toBe("INVALID_CREDENTIALS");
    expect((await attempt()).code).toBe("INVALID_CREDENTIALS");
    const first = await attempt();
    expect(first).toMatchObject({ code: "THROTTLED" });
    expect(first.wait).toBeLessThanOrEqual(2);
    // Hammering while refused does not push the schedule out.
    for (let i = 0; i < 5; i++) expect((await attempt()).code).toBe("THROTTLED");
    await sleep(2300);
    expect((await attempt()).code).toBe("INVALID_CREDENTIALS"); // due, evaluated
    const second = await attempt();
    expect(second.code).toBe("THROTTLED");
    expect(second.wait).toBeGreaterThanOrEqual(2); // the next one waits longer than the first
    await sleep(second.wait * 1000 + 300);
    // The owner's right password goes through after the wait, and clears the slowdown.
    expect((await attempt("the-right-password")).code).toBe("ok");
    expect((await attempt()).code).toBe("INVALID_CREDENTIALS");
  }, 30_000);

  it("a spray across e-mails from one address is slowed after 20 attempts", async () => {
    // Before: the throttle was per e-mail only, so a spray was never slowed.
    const throttle = new SignInThrottle(t.db, DEFAULT_THROTTLE, "spray");
    const sprayer = { ip: "192.0.2.99", userAgent: "spray" };
    const codes: string[] = [];
    for (let i = 0; i < 22; i++)
      codes.push(
        await signInWithPassword(
          t.db,
          { email: `victim-${i}@example.test`, password: "Summer2026!" },
          sprayer,
          throttle,
        ).then(
          () => "ok",
          (e: AuthError) => e.code,
        ),
      );
    expect(codes.slice(0, 20).every((c) => c === "INVALID_CREDENTIALS")).toBe(true);
    expect(codes.slice(20)).toEqual(["THROTTLED", "THROTTLED"]);
    // ... and a good account does not launder the address: its own attempt is given back,
    // the spray's are not.
    await expect(
      signInWithPassword(
        t.db,
        { email: "spray@example.test", password: "the-right-password" },
        sprayer,
        throttle,
      ),
    ).rejects.toMatchObject({ code: "THROTTLED" });
    const rows = await t.db
      .select()
      .from(auditLog)
      .where(eq(auditLog.action, "user.sign_in_throttled"));
    expect(rows.some((r) => r.ip === sprayer.ip)).toBe(true);
  });
});
