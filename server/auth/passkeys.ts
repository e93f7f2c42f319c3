import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type WebAuthnCredential,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from "@simplewebauthn/server";
import { and, desc, eq, gt, isNull } from "drizzle-orm";
import type { Db } from "../../db/client";
import { mfaChallenges, passkeys } from "../../db/schema";

/**
 * Passkeys (WebAuthn) as the stronger second factor (docs/adr/0050): phishing-resistant
 * because the browser binds each answer to our origin. The relying party is the site's host:
 * NEXTAUTH_URL when set (what users type), else the request's own host.
 */
type Transports = NonNullable<WebAuthnCredential["transports"]>;

export type RelyingParty = { id: string; origin: string; name: string };

export function relyingParty(
  host: string | null | undefined,
  proto: string | null | undefined,
  env: Record<string, string | undefined> = process.env,
): RelyingParty {
  const base = env.NEXTAUTH_URL
    ? new URL(env.NEXTAUTH_URL)
    : new URL(`${proto === "https" ? "https" : "http"}://${host ?? "localhost"}`);
  return { id: base.hostname, origin: base.origin, name: "Tandem" };
}

const CHALLENGE_TTL_MS = 5 * 60_000;
const b64url = (u: Uint8Array) => Buffer.from(u).toString("base64url");

async function userPasskeys(db: Pick<Db, "select">, userId: string) {
  return db.select().from(passkeys).where(eq(passkeys.userId, userId));
}

/** Registration, step 1: options for navigator.credentials.create, challenge kept server-side. */
export async function passkeyRegistrationOptions(
  db: Db,
  rp: RelyingParty,
  user: { id: string; email: string; name: string },
  now: Date = new Date(),
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const existing = await userPasskeys(db, user.id);
  const options = await generateRegistrationOptions({
    rpName: rp.name,
    rpID: rp.id,
    userName: user.email,
    userDisplayName: user.name,
    userID: new Uint8Array(Buffer.from(user.id.replace(/-/g, ""), "hex")),
    attestationType: "none",
    excludeCredentials: existing.map((p) => ({
      id: p.id,
      transports: p.transports as Transports,
    })),
    authenticatorSelection: { residentKey: "preferred", userVerification: "preferred" },
  });
  await db.insert(mfaChallenges).values({
    userId: user.id,
    purpose: "passkey_register",
    challenge: options.challenge,
    expiresAt: new Date(now.getTime() + CHALLENGE_TTL_MS),
  });
  return options;
}

/** Takes (and spends) the newest live challenge of a purpose: each is good for one answer. */
async function spendChallenge(
  db: Db,
  userId: string,
  purpose: string,
  now: Date,
): Promise<string | null> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .select()
      .from(mfaChallenges)
      .where(
        and(
          eq(mfaChallenges.userId, userId),
          eq(mfaChallenges.purpose, purpose),
          isNull(mfaChallenges.usedAt),
          gt(mfaChallenges.expiresAt, now),
        ),
      )
      .orderBy(desc(mfaChallenges.createdAt))
      .limit(1)
      .for("update");
    if (!row?.challenge) return null;
    await tx.update(mfaChallenges).set({ usedAt: now }).where(eq(mfaChallenges.id, row.id));
    return row.challenge;
  });
}

/**
 * Registration, step 2: verifies the authenticator's answer against the kept challenge, our
 * origin and RP id, and stores the credential. False when anything does not match.
 */
export async function verifyPasskeyRegistration(
  db: Db,
  rp: RelyingParty,
  userId: string,
  response: RegistrationResponseJSON,
  label: string,
  now: Date = new Date(),
): Promise<boolean> {
  const challenge = await spendChallenge(db, userId, "passkey_register", now);
  if (!challenge) return false;
  const result = await verifyRegistrationResponse({
    response,
    expectedChallenge: challenge,
    expectedOrigin: rp.origin,
    expectedRPID: rp.id,
    requireUserVerification: false,
  }).catch(() => null);
  if (!result?.verified) return false;
  const c = result.registrationInfo.credential;
  await db.insert(passkeys).values({
    id: c.id,
    userId,
    publicKey: b64url(c.publicKey),
    counter: c.counter,
    transports: (c.transports ?? []) as string[],
    label: label.trim().slice(0, 60) || "Passkey",
  });
  return true;
}

/** Options for navigator.credentials.get over the user's passkeys; the challenge is kept. */
export async function passkeyAuthenticationOptions(
  db: Db,
  rp: RelyingParty,
  userId: string,
  purpose: "passkey_sign_in" | "passkey_step_up",
  now: Date = new Date(),
): Promise<PublicKeyCredentialRequestOptionsJSON | null> {
  const keys = await userPasskeys(db, userId);
  if (keys.length === 0) return null;
  const options = await generateAuthenticationOptions({
    rpID: rp.id,
    allowCredentials: keys.map((p) => ({
      id: p.id,
      transports: p.transports as Transports,
    })),
    userVerification: "preferred",
  });
  await db.insert(mfaChallenges).values({
    userId,
    purpose,
    challenge: options.challenge,
    expiresAt: new Date(now.getTime() + CHALLENGE_TTL_MS),
  });
  return options;
}

/**
 * Verifies a passkey answer for the user: the credential must be theirs, the challenge ours
 * and unspent, the signature good and the counter moving forward (a cloned key shows up as a
 * counter that does not). Updates the counter.
 */
export async function verifyPasskeyAuthentication(
  db: Db,
  rp: RelyingParty,
  userId: string,
  purpose: "passkey_sign_in" | "passkey_step_up",
  response: AuthenticationResponseJSON,
  now: Date = new Date(),
): Promise<boolean> {
  if (!response || typeof response.id !== "string") return false;
  const [key] = await db
    .select()
    .from(passkeys)
    .where(and(eq(passkeys.id, response.id), eq(passkeys.userId, userId)));
  if (!key) return false;
  const challenge = await spendChallenge(db, userId, purpose, now);
  if (!challenge) return false;
  const result = await verifyAuthenticationResponse({
    response,
    expectedChallenge: challenge,
    expectedOrigin: rp.origin,
    expectedRPID: rp.id,
    credential: {
      id: key.id,
      publicKey: new Uint8Array(Buffer.from(key.publicKey, "base64url")),
      counter: key.counter,
      transports: key.transports as Transports,
    },
    requireUserVerification: false,
  }).catch(() => null);
  if (!result?.verified) return false;
  await db
    .update(passkeys)
    .set({ counter: result.authenticationInfo.newCounter, lastUsedAt: now })
    .where(eq(passkeys.id, key.id));
  return true;
}
