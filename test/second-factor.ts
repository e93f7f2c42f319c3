import { eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { totpFactors, users } from "../db/schema";
import { createSession, type Viewer } from "../server/auth/sessions";
import { recordSecondFactorProof } from "../server/auth/step-up";
import { enrolTotpConfirmed } from "../server/auth/totp";
import { keyId, SecretBox } from "../server/secrets/secret-box";

/**
 * The one place tests get a caller that has proved a second factor (docs/adr/0050): the
 * leader, support and admin procedures need an enrolled factor, and step-up actions need a
 * proof from this very session within the last few minutes. Real rows (a confirmed
 * authenticator app, a session, its proof), never a bypass of the checks.
 */
const box = new SecretBox({ id: keyId(Buffer.alloc(32, 7)), key: Buffer.alloc(32, 7) });
/** Any base32 secret: tests that use this helper never type a code. */
const SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

/** Enrols an authenticator app for the user unless one is there already. */
export async function enrolTestFactor(db: Db, userId: string): Promise<void> {
  const [has] = await db.select().from(totpFactors).where(eq(totpFactors.userId, userId));
  if (!has) await enrolTotpConfirmed(db, box, userId, SECRET);
}

/**
 * A viewer for this user with an enrolled factor and a fresh session that proved it now.
 * Pass `proven: false` for a session that has a factor but has not re-proved it (step-up
 * refusals).
 */
export async function provenViewer(
  db: Db,
  userId: string,
  opts: { proven?: boolean; client?: { ip: string; userAgent: string } } = {},
): Promise<Viewer & { sessionId: string }> {
  const [u] = await db.select().from(users).where(eq(users.id, userId));
  if (!u) throw new Error(`provenViewer: no user ${userId}`);
  await enrolTestFactor(db, userId);
  const sessionId = await createSession(
    db,
    userId,
    opts.client ?? { ip: "198.51.100.1", userAgent: "Vitest" },
  );
  if (opts.proven !== false) await recordSecondFactorProof(db, sessionId, "totp");
  return { id: u.id, email: u.email, name: u.displayName, role: u.role, sessionId };
}
