import { eq } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../db/client";
import { auditLog, users, type UserRole } from "../../db/schema";
import { openPaperAccount } from "../engine/copies/onboarding";
import type { ClientInfo } from "./client-info";
import { beginPendingSignIn, hasSecondFactor, SecondFactorRequired } from "./mfa";
import { hashPassword, verifyPassword } from "./password";
import { RateLimited } from "./rate-limits";
import { createSession, revokeAllSessions } from "./sessions";
import { signInThrottleFor, type SignInThrottle } from "./sign-in-throttle";

const password = z
  .string()
  .min(10, "Password must be at least 10 characters")
  .max(200, "Password must be at most 200 characters");

export const signUpInput = z.object({
  email: z.string().trim().toLowerCase().email("Enter a valid e-mail address"),
  password,
  displayName: z
    .string()
    .trim()
    .min(2, "Name must be at least 2 characters")
    .max(60, "Name must be at most 60 characters"),
});
export type SignUpInput = z.infer<typeof signUpInput>;

export const changePasswordInput = z.object({
  currentPassword: z.string().min(1, "Current password: enter it").max(200),
  newPassword: password,
});

export class AuthError extends Error {
  constructor(
    public readonly code: "EMAIL_TAKEN" | "INVALID_CREDENTIALS" | "THROTTLED" | "INVALID_INPUT",
    message: string,
    public readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

export type SessionUser = { id: string; email: string; name: string; role: UserRole };

const UNKNOWN_CLIENT: ClientInfo = { ip: "unknown", userAgent: "" };

function parseSignUp(raw: unknown): SignUpInput {
  const parsed = signUpInput.safeParse(raw);
  if (!parsed.success)
    throw new AuthError("INVALID_INPUT", parsed.error.issues.map((i) => i.message).join("; "));
  return parsed.data;
}

/** Creates an account; throws EMAIL_TAKEN for an existing e-mail. For seeds and tests. */
export async function signUp(
  db: Db,
  raw: unknown,
  role: UserRole = "follower",
): Promise<SessionUser> {
  const r = await register(db, raw, UNKNOWN_CLIENT, role);
  if (!r.created) throw new AuthError("EMAIL_TAKEN", "An account with this e-mail already exists.");
  return r.user;
}

export const SIGN_UP_ANSWER = {
  ok: true as const,
  message: "Thanks. If this e-mail is new, your account is ready: signing you in now.",
};

/**
 * Sign-up as the public sees it (docs/adr/0012): the same work (one password hash, one
 * insert attempt, one audit row) and the same answer whether or not the e-mail exists. Only
 * someone who knows the account's password can tell, by signing in with it.
 */
export async function register(
  db: Db,
  raw: unknown,
  client: ClientInfo,
  role: UserRole = "follower",
): Promise<{ created: true; user: SessionUser } | { created: false }> {
  const input = parseSignUp(raw);
  const passwordHash = await hashPassword(input.password);
  return db.transaction(async (tx) => {
    const inserted = await tx
      .insert(users)
      .values({ email: input.email, passwordHash, displayName: input.displayName, role })
      .onConflictDoNothing({ target: users.email })
      .returning();
    const user = inserted[0];
    if (!user) {
      const [existing] = await tx
        .select({ id: users.id })
        .from(users)
        .where(eq(users.email, input.email));
      await tx.insert(auditLog).values({
        actorUserId: null,
        action: "user.sign_up_existing_email",
        targetType: "user",
        targetId: existing?.id ?? null,
        ip: client.ip,
        userAgent: client.userAgent,
        details: { ip: client.ip, userAgent: client.userAgent },
      });
      return { created: false as const };
    }
    await tx.insert(auditLog).values({
      actorUserId: user.id,
      action: "user.sign_up",
      targetType: "user",
      targetId: user.id,
      ip: client.ip,
      userAgent: client.userAgent,
      details: { ip: client.ip, userAgent: client.userAgent },
    });
    await openPaperAccount(tx as unknown as Db, user.id);
    return {
      created: true as const,
      user: { id: user.id, email: user.email, name: user.displayName, role: user.role },
    };
  });
}

/** Sign-up answers take at least this long, so a new and an existing e-mail look alike. */
export const SIGN_UP_MIN_MS = 400;

/**
 * What the sign-up form gets: SIGN_UP_ANSWER, never anything that depends on whether the
 * e-mail was new, and never sooner than SIGN_UP_MIN_MS after the request.
 */
export async function publicSignUp(
  db: Db,
  raw: unknown,
  client: ClientInfo,
  minMs: number = SIGN_UP_MIN_MS,
): Promise<typeof SIGN_UP_ANSWER> {
  const started = Date.now();
  await register(db, raw, client);
  const wait = minMs - (Date.now() - started);
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  return SIGN_UP_ANSWER;
}

/**
 * A hash of a password nobody has, with the same parameters as real ones: an unknown e-mail
 * is checked against it so that it costs the same time as a wrong password.
 */
let dummyHash: Promise<string> | null = null;
function dummy(): Promise<string> {
  dummyHash ??= hashPassword(`no-such-account-${Math.random()}`);
  return dummyHash;
}

/** Checks a password, no throttling: the same time and the same error for unknown e-mails. */
export async function verifyCredentials(
  db: Db,
  emailRaw: string,
  passwordRaw: string,
): Promise<SessionUser> {
  const email = emailRaw.trim().toLowerCase();
  const [user] = await db.select().from(users).where(eq(users.email, email));
  const ok = await verifyPassword(user?.passwordHash ?? (await dummy()), passwordRaw);
  if (!user || !ok) throw new AuthError("INVALID_CREDENTIALS", "Wrong e-mail or password.");
  return { id: user.id, email: user.email, name: user.displayName, role: user.role };
}

/**
 * Sign-in as the public sees it: throttled per address, per e-mail and address, and per
 * e-mail before the password is looked at; audited either way; opens a session row.
 */
export async function signInWithPassword(
  db: Db,
  input: { email: string; password: string },
  client: ClientInfo,
  throttle: SignInThrottle = signInThrottleFor(db),
): Promise<SessionUser & { sessionId: string }> {
  const email = String(input.email ?? "")
    .trim()
    .toLowerCase()
    .slice(0, 320);
  const audit = (action: string, userId: string | null, extra: Record<string, unknown> = {}) =>
    db.insert(auditLog).values({
      actorUserId: userId,
      action,
      targetType: "user",
      targetId: userId,
      ip: client.ip,
      userAgent: client.userAgent,
      details: { email, ip: client.ip, userAgent: client.userAgent, ...extra },
    });
  try {
    await throttle.before(email, client.ip);
  } catch (err) {
    if (err instanceof RateLimited) {
      await audit("user.sign_in_throttled", null, { retryAfterSeconds: err.retryAfterSeconds });
      throw new AuthError("THROTTLED", err.message, err.retryAfterSeconds);
    }
    throw err;
  }
  let user: SessionUser;
  try {
    user = await verifyCredentials(db, email, String(input.password ?? "").slice(0, 200));
  } catch (err) {
    if (err instanceof AuthError) {
      const [known] = await db.select({ id: users.id }).from(users).where(eq(users.email, email));
      await audit("user.sign_in_failed", known?.id ?? null);
    }
    throw err;
  }
  // A user with a second factor gets a pending sign-in instead of a session (docs/adr/0050);
  // the throttle is cleared only once that second step succeeds.
  if (await hasSecondFactor(db, user.id)) {
    const token = await beginPendingSignIn(db, user.id);
    await audit("user.sign_in_password_ok", user.id, { secondFactor: "pending" });
    throw new SecondFactorRequired(token);
  }
  await throttle.succeeded(email, client.ip);
  const sessionId = await createSession(db, user.id, client);
  await audit("user.sign_in", user.id, { sessionId });
  return { ...user, sessionId };
}

/**
 * Changes a password and ends every other session of the user in the same transaction, so
 * a stolen cookie stops working on its next request. The caller's own session is kept.
 */
export async function changePassword(
  db: Db,
  userId: string,
  raw: unknown,
  client: ClientInfo,
  keepSessionId?: string,
): Promise<{ sessionsEnded: number }> {
  const parsed = changePasswordInput.safeParse(raw);
  if (!parsed.success)
    throw new AuthError("INVALID_INPUT", parsed.error.issues.map((i) => i.message).join("; "));
  const [user] = await db.select().from(users).where(eq(users.id, userId));
  if (!user || !(await verifyPassword(user.passwordHash, parsed.data.currentPassword)))
    throw new AuthError("INVALID_CREDENTIALS", "Current password: that is not your password.");
  const passwordHash = await hashPassword(parsed.data.newPassword);
  return db.transaction(async (tx) => {
    await tx.update(users).set({ passwordHash }).where(eq(users.id, userId));
    const sessionsEnded = await revokeAllSessions(tx, userId, "password_changed", {
      keep: keepSessionId,
    });
    await tx.insert(auditLog).values({
      actorUserId: userId,
      action: "user.password_changed",
      targetType: "user",
      targetId: userId,
      ip: client.ip,
      userAgent: client.userAgent,
      details: { ip: client.ip, userAgent: client.userAgent, sessionsEnded },
    });
    return { sessionsEnded };
  });
}
