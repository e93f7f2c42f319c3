import type { AuthenticationResponseJSON } from "@simplewebauthn/server";
import { and, eq, gt, isNotNull, isNull, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import {
  auditLog,
  mfaChallenges,
  passkeys,
  recoveryCodes,
  totpFactors,
  users,
  type UserRole,
} from "../../db/schema";
import type { SecretBox } from "../secrets/secret-box";
import type { ClientInfo } from "./client-info";
import {
  passkeyAuthenticationOptions,
  verifyPasskeyAuthentication,
  type RelyingParty,
} from "./passkeys";
import { recoveryCodesLeft, spendRecoveryCode } from "./recovery-codes";
import { createSession, type Viewer } from "./sessions";
import type { RateLimiterPostgres } from "rate-limiter-flexible";
import { postgresLimiter, take } from "./rate-limits";
import { signInThrottleFor } from "./sign-in-throttle";
import { recordSecondFactorProof } from "./step-up";
import { verifyUserTotp } from "./totp";

/**
 * Second factors (docs/adr/0050): who must have one, what a user has, the sign-in that waits
 * for one after the password, and re-proving one for a high-risk action (step-up).
 */

/** These roles' consoles stay closed until a second factor is enrolled. */
export const SECOND_FACTOR_ROLES: readonly UserRole[] = ["leader", "support", "admin"];

export type FactorSummary = { totp: boolean; passkeys: number; recoveryCodesLeft: number };

export async function factorSummary(db: Db, userId: string): Promise<FactorSummary> {
  const [t] = await db
    .select({ userId: totpFactors.userId })
    .from(totpFactors)
    .where(and(eq(totpFactors.userId, userId), isNotNull(totpFactors.confirmedAt)));
  const [{ n } = { n: 0 }] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(passkeys)
    .where(eq(passkeys.userId, userId));
  return { totp: !!t, passkeys: n, recoveryCodesLeft: await recoveryCodesLeft(db, userId) };
}

export async function hasSecondFactor(db: Db, userId: string): Promise<boolean> {
  const f = await factorSummary(db, userId);
  return f.totp || f.passkeys > 0;
}

/** True when this viewer's console must show the enrolment page instead. */
export async function mustEnrolSecondFactor(db: Db, viewer: Viewer): Promise<boolean> {
  return SECOND_FACTOR_ROLES.includes(viewer.role) && !(await hasSecondFactor(db, viewer.id));
}

/** A code (authenticator or recovery) or a passkey's answer. */
export type FactorProof = { code: string } | { passkey: AuthenticationResponseJSON };
export type FactorMethod = "totp" | "recovery_code" | "passkey";

/** Checks one proof for a user; the method that passed, or null. Spends what it uses. */
export async function checkFactor(
  db: Db,
  box: SecretBox,
  rp: RelyingParty | null,
  userId: string,
  proof: FactorProof,
  purpose: "passkey_sign_in" | "passkey_step_up",
  now: Date = new Date(),
): Promise<FactorMethod | null> {
  if ("passkey" in proof) {
    if (!rp) return null;
    return (await verifyPasskeyAuthentication(db, rp, userId, purpose, proof.passkey, now))
      ? "passkey"
      : null;
  }
  const code = String(proof.code ?? "").trim();
  if (/^\d{3}\s?\d{3}$/.test(code))
    return (await verifyUserTotp(db, box, userId, code, { now })) ? "totp" : null;
  return (await spendRecoveryCode(db, userId, code, now)) ? "recovery_code" : null;
}

// ----- sign-in with a second factor -----

/** A pending sign-in lives this long and survives this many wrong codes. */
export const PENDING_SIGN_IN_MS = 5 * 60_000;
export const PENDING_SIGN_IN_ATTEMPTS = 5;
/** next-auth passes an authorize() error's message to the form: this prefix means "ask for the factor". */
export const SECOND_FACTOR_PREFIX = "SECOND_FACTOR:";

/** Thrown by the password step when a second factor must follow (carries the pending token). */
export class SecondFactorRequired extends Error {
  constructor(readonly token: string) {
    super("Enter the code from your authenticator app, a recovery code, or use your passkey.");
  }
}

export class SecondFactorError extends Error {
  constructor(
    readonly code: "EXPIRED" | "WRONG",
    message: string,
  ) {
    super(message);
  }
}

/**
 * The password was right and the user has a second factor: instead of a session, a
 * single-use token for the second step. Only someone who knew the password ever learns that
 * the account has a second factor.
 */
export async function beginPendingSignIn(
  db: Db,
  userId: string,
  now = new Date(),
): Promise<string> {
  const [row] = await db
    .insert(mfaChallenges)
    .values({ userId, purpose: "sign_in", expiresAt: new Date(now.getTime() + PENDING_SIGN_IN_MS) })
    .returning({ id: mfaChallenges.id });
  return row!.id;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function livePending(db: Db, token: string, now: Date) {
  if (!UUID.test(token)) return null;
  const [row] = await db
    .select()
    .from(mfaChallenges)
    .where(
      and(
        eq(mfaChallenges.id, token),
        eq(mfaChallenges.purpose, "sign_in"),
        isNull(mfaChallenges.usedAt),
        gt(mfaChallenges.expiresAt, now),
        sql`${mfaChallenges.attempts} < ${PENDING_SIGN_IN_ATTEMPTS}`,
      ),
    );
  return row ?? null;
}

const EXPIRED =
  "Your sign-in timed out or had too many wrong codes: enter your e-mail and password again.";

/** Passkey options for a pending sign-in (the user has not got a session yet). */
export async function pendingSignInPasskeyOptions(db: Db, rp: RelyingParty, token: string) {
  const row = await livePending(db, token, new Date());
  if (!row) throw new SecondFactorError("EXPIRED", EXPIRED);
  return passkeyAuthenticationOptions(db, rp, row.userId, "passkey_sign_in");
}

/**
 * The second step: a right proof ends the pending sign-in and opens a session that has
 * proved its second factor; a wrong one counts against the token (five and it is gone, back
 * to the throttled password step). Audited either way.
 */
export async function completePendingSignIn(
  db: Db,
  box: SecretBox,
  rp: RelyingParty | null,
  token: string,
  proof: FactorProof,
  client: ClientInfo,
  now: Date = new Date(),
): Promise<{ id: string; email: string; name: string; role: UserRole; sessionId: string }> {
  const row = await livePending(db, token, now);
  if (!row) throw new SecondFactorError("EXPIRED", EXPIRED);
  // Claim an attempt first (check and count in one statement), so parallel guesses share the five.
  const claimed = await db
    .update(mfaChallenges)
    .set({ attempts: sql`${mfaChallenges.attempts} + 1` })
    .where(
      and(
        eq(mfaChallenges.id, token),
        isNull(mfaChallenges.usedAt),
        sql`${mfaChallenges.attempts} < ${PENDING_SIGN_IN_ATTEMPTS}`,
      ),
    )
    .returning({ id: mfaChallenges.id });
  if (claimed.length === 0) throw new SecondFactorError("EXPIRED", EXPIRED);
  const method = await checkFactor(db, box, rp, row.userId, proof, "passkey_sign_in", now);
  const audit = (action: string, extra: Record<string, unknown>) =>
    db.insert(auditLog).values({
      actorUserId: row.userId,
      action,
      targetType: "user",
      targetId: row.userId,
      ip: client.ip,
      userAgent: client.userAgent,
      details: { ip: client.ip, userAgent: client.userAgent, ...extra },
    });
  if (!method) {
    await audit("user.second_factor_failed", { stage: "sign_in" });
    throw new SecondFactorError(
      "WRONG",
      "Code: that is not the current code from your authenticator app, nor an unused recovery code.",
    );
  }
  const used = await db
    .update(mfaChallenges)
    .set({ usedAt: now })
    .where(and(eq(mfaChallenges.id, token), isNull(mfaChallenges.usedAt)))
    .returning({ id: mfaChallenges.id });
  if (used.length === 0) throw new SecondFactorError("EXPIRED", EXPIRED);
  const [user] = await db.select().from(users).where(eq(users.id, row.userId));
  await signInThrottleFor(db).succeeded(user!.email, client.ip);
  const sessionId = await createSession(db, row.userId, client, now);
  await recordSecondFactorProof(db, sessionId, method, now);
  await audit("user.sign_in", { sessionId, secondFactor: method });
  return {
    id: user!.id,
    email: user!.email,
    name: user!.displayName,
    role: user!.role,
    sessionId,
  };
}

// ----- step-up -----

/**
 * Tries at "confirm it's you" per user and window. Each try takes a point before the code is
 * checked and a right answer gives it back, so only wrong answers count and parallel guesses
 * cannot slip past the count (the sign-in's second step ends after 5 wrong codes the same way).
 * Without it a stolen session could guess a 6-digit code at the general 60 mutations a minute.
 */
export const STEP_UP_GUESSES = { points: 5, duration: 15 * 60 };

const guessLimiters = new WeakMap<object, RateLimiterPostgres>();
function stepUpGuesses(db: Db): RateLimiterPostgres {
  let l = guessLimiters.get(db);
  if (!l) {
    l = postgresLimiter(db, { keyPrefix: "stepup_user", ...STEP_UP_GUESSES });
    guessLimiters.set(db, l);
  }
  return l;
}

/**
 * Re-proves a second factor for this session (the "confirm it's you" dialog): on success the
 * session's proof time is now, which requireStepUp accepts for the next few minutes. Throws
 * RateLimited after STEP_UP_GUESSES wrong answers.
 */
export async function proveForStepUp(
  db: Db,
  box: SecretBox,
  rp: RelyingParty | null,
  viewer: Viewer,
  proof: FactorProof,
  client: ClientInfo | undefined,
  now: Date = new Date(),
): Promise<FactorMethod | null> {
  if (!viewer.sessionId) return null;
  const guesses = stepUpGuesses(db);
  await take(guesses, viewer.id, "wrong codes");
  const method = await checkFactor(db, box, rp, viewer.id, proof, "passkey_step_up", now);
  if (method) await guesses.reward(viewer.id, 1);
  await db.insert(auditLog).values({
    actorUserId: viewer.id,
    action: method ? "user.step_up" : "user.second_factor_failed",
    targetType: "session",
    targetId: viewer.sessionId,
    ip: client?.ip ?? null,
    userAgent: client?.userAgent ?? null,
    details: method ? { method } : { stage: "step_up" },
  });
  if (method) await recordSecondFactorProof(db, viewer.sessionId, method, now);
  return method;
}

// ----- removing a factor -----

export type PasskeyListing = {
  id: string;
  label: string;
  createdAt: Date;
  lastUsedAt: Date | null;
};

/** The user's passkeys for the security page (the public key stays on the server). */
export async function listPasskeys(db: Db, userId: string): Promise<PasskeyListing[]> {
  return db
    .select({
      id: passkeys.id,
      label: passkeys.label,
      createdAt: passkeys.createdAt,
      lastUsedAt: passkeys.lastUsedAt,
    })
    .from(passkeys)
    .where(eq(passkeys.userId, userId))
    .orderBy(passkeys.createdAt);
}

export type RemoveFactorResult = "removed" | "not_found" | "last_required";

/**
 * Removes a passkey or the authenticator app. A leader, support or admin keeps at least one
 * factor (their console needs it): removing the last is refused. The user row is locked
 * first, so two removals at once cannot both see "another one remains" and leave none.
 * Removing a follower's last factor also voids the recovery codes, which stood in for it.
 */
export async function removeSecondFactor(
  db: Db,
  viewer: Viewer,
  which: { kind: "totp" } | { kind: "passkey"; id: string },
): Promise<RemoveFactorResult> {
  await db.select({ id: users.id }).from(users).where(eq(users.id, viewer.id)).for("update");
  const [user] = await db.select({ role: users.role }).from(users).where(eq(users.id, viewer.id));
  const f = await factorSummary(db, viewer.id);
  const has = which.kind === "totp" ? f.totp : await ownsPasskey(db, viewer.id, which.id);
  if (!has) return "not_found";
  const left = (f.totp ? 1 : 0) + f.passkeys - 1;
  if (left === 0 && SECOND_FACTOR_ROLES.includes(user?.role ?? viewer.role)) return "last_required";
  if (which.kind === "totp") await db.delete(totpFactors).where(eq(totpFactors.userId, viewer.id));
  else
    await db.delete(passkeys).where(and(eq(passkeys.id, which.id), eq(passkeys.userId, viewer.id)));
  if (left === 0) await db.delete(recoveryCodes).where(eq(recoveryCodes.userId, viewer.id));
  await db.insert(auditLog).values({
    actorUserId: viewer.id,
    action: "user.mfa_removed",
    targetType: "user",
    targetId: viewer.id,
    details:
      which.kind === "totp"
        ? { method: "totp", left }
        : { method: "passkey", passkeyId: which.id, left },
  });
  return "removed";
}

async function ownsPasskey(db: Db, userId: string, id: string): Promise<boolean> {
  const [row] = await db
    .select({ id: passkeys.id })
    .from(passkeys)
    .where(and(eq(passkeys.id, id), eq(passkeys.userId, userId)));
  return Boolean(row);
}
