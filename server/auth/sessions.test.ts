import { and, eq } from "drizzle-orm";
import { encode } from "next-auth/jwt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb } from "../../test/db";
import { auditLog, sessions, users } from "../../db/schema";
import { createCaller } from "../api/root";
import { noMutationLimits } from "./rate-limits";
import { changePassword, signInWithPassword, signUp } from "./accounts";
import { viewerFromToken } from "./session";
import { enrolTestFactor } from "../../test/second-factor";
import { resolveSession, revokeSession } from "./sessions";

let t: Awaited<ReturnType<typeof createTestDb>>;
const SECRET = "test-secret-for-session-cookies-0123456789";
const laptop = { ip: "198.51.100.1", userAgent: "Laptop Firefox" };
const phone = { ip: "198.51.100.2", userAgent: "Phone Safari" };

beforeAll(async () => {
  t = await createTestDb();
  await signUp(t.db, { email: "ann@example.test", password: "ann-password-1", displayName: "Ann" });
  await signUp(
    t.db,
    { email: "root@example.test", password: "root-password-1", displayName: "Root" },
    "admin",
  );
});
afterAll(() => t.drop());

/** Signs in the way the app does and returns the cookie value the browser would hold. */
async function cookieFor(email: string, password: string, client = laptop) {
  const u = await signInWithPassword(t.db, { email, password }, client);
  const cookie = await encode({
    token: { sub: u.id, uid: u.id, sid: u.sessionId },
    secret: SECRET,
  });
  return { cookie, sessionId: u.sessionId, userId: u.id };
}
const viewer = (cookie: string) => viewerFromToken(t.db, cookie, SECRET);
const callerFor = async (cookie: string, client = laptop) =>
  createCaller({ db: t.db, viewer: await viewer(cookie), client, rateLimits: noMutationLimits });

describe("sessions", () => {
  it("a cookie replayed after sign-out is refused", async () => {
    // Before: the JWT alone was the session, so a copy of the cookie outlived sign-out.
    const { cookie, sessionId } = await cookieFor("ann@example.test", "ann-password-1");
    expect(await viewer(cookie)).toMatchObject({ email: "ann@example.test", sessionId });
    expect((await (await callerFor(cookie)).auth.me()).email).toBe("ann@example.test");
    await revokeSession(t.db, sessionId, "sign_out", laptop);
    expect(await viewer(cookie)).toBeNull();
    await expect((await callerFor(cookie)).auth.me()).rejects.toMatchObject({
      code: "UNAUTHORIZED",
    });
    const [row] = await t.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, "user.sign_out"), eq(auditLog.targetId, sessionId)));
    expect(row).toMatchObject({ ip: laptop.ip, userAgent: laptop.userAgent });
    expect(row!.details).toMatchObject({ ip: laptop.ip, userAgent: laptop.userAgent });
  });

  it("a demoted admin is refused the admin console on the next request", async () => {
    // Before: the role lived in the JWT for up to 7 days.
    // An admin of this test alone: with a factor enrolled, the password step no longer signs in.
    await signUp(
      t.db,
      { email: "boss@example.test", password: "boss-password-1", displayName: "Boss" },
      "admin",
    );
    const { cookie, userId } = await cookieFor("boss@example.test", "boss-password-1");
    // The admin procedures need an enrolled second factor (after the password-only sign-in).
    await enrolTestFactor(t.db, userId);
    await expect((await callerFor(cookie)).admin.overview()).resolves.toBeTruthy();
    await t.db.update(users).set({ role: "follower" }).where(eq(users.id, userId));
    await expect((await callerFor(cookie)).admin.overview()).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    // ...and promoted again, gets back in without signing in again.
    await t.db.update(users).set({ role: "admin" }).where(eq(users.id, userId));
    await expect((await callerFor(cookie)).admin.overview()).resolves.toBeTruthy();
  });

  it("sign out everywhere ends every session of the user, and is audited", async () => {
    const a = await cookieFor("ann@example.test", "ann-password-1", laptop);
    const b = await cookieFor("ann@example.test", "ann-password-1", phone);
    const other = await cookieFor("root@example.test", "root-password-1");
    const res = await (await callerFor(b.cookie, phone)).auth.signOutEverywhere();
    expect(res.sessionsEnded).toBe(2);
    expect(await viewer(a.cookie)).toBeNull();
    expect(await viewer(b.cookie)).toBeNull();
    expect(await viewer(other.cookie)).not.toBeNull(); // nobody else's
    const [row] = await t.db
      .select()
      .from(auditLog)
      .where(eq(auditLog.action, "user.sign_out_everywhere"));
    expect(row).toMatchObject({ actorUserId: a.userId, ip: phone.ip, userAgent: phone.userAgent });
    expect(row!.details).toMatchObject({
      ip: phone.ip,
      userAgent: phone.userAgent,
      sessionsEnded: 2,
    });
  });

  it("a password change ends the other sessions on their next request, keeps this one", async () => {
    const here = await cookieFor("ann@example.test", "ann-password-1", laptop);
    const stolen = await cookieFor("ann@example.test", "ann-password-1", phone);
    const caller = await callerFor(here.cookie);
    await expect(
      caller.auth.changePassword({ currentPassword: "not-it", newPassword: "ann-password-2" }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/Current password/),
    });
    expect(await viewer(stolen.cookie)).not.toBeNull();
    await expect(
      caller.auth.changePassword({
        currentPassword: "ann-password-1",
        newPassword: "ann-password-2",
      }),
    ).resolves.toEqual({ sessionsEnded: 1 });
    expect(await viewer(stolen.cookie)).toBeNull();
    expect(await viewer(here.cookie)).not.toBeNull();
    await expect(
      signInWithPassword(t.db, { email: "ann@example.test", password: "ann-password-2" }, laptop),
    ).resolves.toBeTruthy();
    const [s] = await t.db.select().from(sessions).where(eq(sessions.id, stolen.sessionId));
    expect(s!.revokedReason).toBe("password_changed");
    // Without a session id (an in-process caller), every session ends.
    const n = await changePassword(
      t.db,
      here.userId,
      { currentPassword: "ann-password-2", newPassword: "ann-password-3" },
      laptop,
    );
    expect(n.sessionsEnded).toBeGreaterThanOrEqual(2);
    expect(await viewer(here.cookie)).toBeNull();
  });

  it("a forged, foreign or expired cookie is nobody", async () => {
    const { cookie, sessionId, userId } = await cookieFor("root@example.test", "root-password-1");
    expect(await viewerFromToken(t.db, cookie, "another-secret-another-secret-0000")).toBeNull();
    expect(await viewerFromToken(t.db, "not-a-jwt", SECRET)).toBeNull();
    // A valid signature but another user's id next to this session id.
    const mixed = await encode({
      token: { uid: "00000000-0000-4000-8000-000000000000", sid: sessionId },
      secret: SECRET,
    });
    expect(await viewer(mixed)).toBeNull();
    const later = new Date(Date.now() + 8 * 24 * 3600 * 1000);
    expect(await resolveSession(t.db, sessionId, later)).toBeNull();
    expect(await resolveSession(t.db, sessionId)).toMatchObject({ id: userId });
  });
});
