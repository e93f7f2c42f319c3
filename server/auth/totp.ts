import { eq, sql } from "drizzle-orm";
import { generate, generateSecret, generateURI, verify } from "otplib";
import type { Db } from "../../db/client";
import { totpFactors } from "../../db/schema";
import type { SecretBox } from "../secrets/secret-box";

/**
 * Authenticator-app codes (RFC 6238: SHA-1, 6 digits, 30 s, what every app does). A code is
 * accepted one step either side of now (clocks drift, people type slowly), and never twice:
 * the step of the last accepted code is kept and only later steps pass (otplib afterTimeStep).
 */
export const TOTP_PERIOD_SEC = 30;
const TOLERANCE_SEC = 30;
export const TOTP_ISSUER = "Tandem";
/** The demo world's authenticator key (public on purpose: demo and e2e sign-ins use it). */
export const DEMO_TOTP_SECRET = "KRAW4RCFJVHWI5DPORYGK3TEMVWW6MZS";

/** The sealed secret is bound to its user: copied onto another user's row it does not open. */
export const totpContext = (userId: string) => `totp_factors:${userId}`;

export function newTotpSecret(): string {
  return generateSecret();
}

export function totpUri(secret: string, label: string): string {
  return generateURI({ issuer: TOTP_ISSUER, label, secret });
}

/** The code an authenticator shows at `at` (seeds, tests and the e2e fixtures use it). */
export function totpCode(secret: string, at: Date = new Date()): Promise<string> {
  return generate({ secret, epoch: Math.floor(at.getTime() / 1000) });
}

/**
 * Checks a code against a secret: the step it belongs to, or null. `after` is the last step
 * already used (replay), when there is one.
 */
export async function checkTotp(
  secret: string,
  code: string,
  at: Date,
  after: number | null,
): Promise<number | null> {
  const token = code.replace(/\s/g, "");
  if (!/^\d{6}$/.test(token)) return null;
  const r = await verify({
    secret,
    token,
    epoch: Math.floor(at.getTime() / 1000),
    epochTolerance: TOLERANCE_SEC,
    ...(after != null ? { afterTimeStep: after } : {}),
  });
  // A TOTP result carries the step it matched (the HOTP half of the union does not).
  return r.valid ? (r as { timeStep: number }).timeStep : null;
}

/**
 * Verifies a user's code and spends its step, under a row lock so two requests with the same
 * code cannot both pass. `confirmedOnly`: sign-in and step-up accept only a confirmed factor;
 * the enrolment's first code confirms an unconfirmed one.
 */
export async function verifyUserTotp(
  db: Db,
  box: SecretBox,
  userId: string,
  code: string,
  opts: { now?: Date; confirming?: boolean } = {},
): Promise<boolean> {
  const now = opts.now ?? new Date();
  return db.transaction(async (tx) => {
    const [row] = await tx
      .select()
      .from(totpFactors)
      .where(eq(totpFactors.userId, userId))
      .for("update");
    if (!row) return false;
    if (!opts.confirming && !row.confirmedAt) return false;
    const secret = box.open(row.secretSealed, totpContext(userId));
    const step = await checkTotp(secret, code, now, row.lastStep);
    if (step == null) return false;
    await tx
      .update(totpFactors)
      .set({ lastStep: step, ...(row.confirmedAt ? {} : { confirmedAt: now }) })
      .where(eq(totpFactors.userId, userId));
    return true;
  });
}

/**
 * Starts (or restarts) an enrolment: a new secret, sealed, unconfirmed. A confirmed factor is
 * not replaced here — that takes removing it first, which needs the second factor.
 */
export async function beginTotpEnrolment(
  db: Db,
  box: SecretBox,
  user: { id: string; email: string },
): Promise<{ secret: string; uri: string } | null> {
  const secret = newTotpSecret();
  const sealed = box.seal(secret, totpContext(user.id));
  const rows = await db
    .insert(totpFactors)
    .values({ userId: user.id, secretSealed: sealed })
    .onConflictDoUpdate({
      target: totpFactors.userId,
      set: { secretSealed: sealed, lastStep: null, createdAt: new Date() },
      setWhere: sql`${totpFactors.confirmedAt} is null`,
    })
    .returning({ userId: totpFactors.userId });
  if (rows.length === 0) return null;
  return { secret, uri: totpUri(secret, user.email) };
}

/** Stores an already confirmed secret (the demo seed enrols its staff and leaders this way). */
export async function enrolTotpConfirmed(
  db: Pick<Db, "insert">,
  box: SecretBox,
  userId: string,
  secret: string,
  now: Date = new Date(),
): Promise<void> {
  await db
    .insert(totpFactors)
    .values({ userId, secretSealed: box.seal(secret, totpContext(userId)), confirmedAt: now });
}
