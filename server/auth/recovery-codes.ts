import { createHash, randomBytes } from "node:crypto";
import { and, eq, isNull } from "drizzle-orm";
import type { Db } from "../../db/client";
import { recoveryCodes } from "../../db/schema";

/**
 * Recovery codes (docs/adr/0050): ten per enrolment, shown once, stored as SHA-256 hashes.
 * Each is 60 random bits, so a fast hash is enough (nobody can enumerate 2^60 guesses against
 * an endpoint that ends a pending sign-in after five wrong ones); a slow password hash would
 * only cost time at every sign-in.
 */
export const RECOVERY_CODE_COUNT = 10;

const ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"; // no 0/o, 1/l/i: read aloud, typed by hand

function newCode(): string {
  const bytes = randomBytes(12);
  let s = "";
  for (const b of bytes) s += ALPHABET[b % ALPHABET.length];
  return `${s.slice(0, 4)}-${s.slice(4, 8)}-${s.slice(8, 12)}`;
}

/** Spaces, dashes and case do not matter when typed back. */
export function normaliseRecoveryCode(raw: string): string {
  const s = raw.toLowerCase().replace(/[^a-z0-9]/g, "");
  return s.length === 12 ? `${s.slice(0, 4)}-${s.slice(4, 8)}-${s.slice(8, 12)}` : s;
}

const hash = (code: string) => createHash("sha256").update(`tandem-recovery:${code}`).digest("hex");

/** Replaces the user's recovery codes with ten new ones and returns them (the only time). */
export async function issueRecoveryCodes(
  db: Pick<Db, "insert" | "delete">,
  userId: string,
): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newCode);
  await db.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId));
  await db.insert(recoveryCodes).values(codes.map((c) => ({ userId, codeHash: hash(c) })));
  return codes;
}

/**
 * Spends one recovery code: true once, false for an unknown or already used one. The
 * conditional UPDATE is the check and the write in one statement, so two requests racing
 * with the same code cannot both succeed.
 */
export async function spendRecoveryCode(
  db: Pick<Db, "update">,
  userId: string,
  raw: string,
  now: Date = new Date(),
): Promise<boolean> {
  const code = normaliseRecoveryCode(raw);
  if (!/^[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}$/.test(code)) return false;
  const rows = await db
    .update(recoveryCodes)
    .set({ usedAt: now })
    .where(
      and(
        eq(recoveryCodes.userId, userId),
        eq(recoveryCodes.codeHash, hash(code)),
        isNull(recoveryCodes.usedAt),
      ),
    )
    .returning({ id: recoveryCodes.id });
  return rows.length === 1;
}

/** How many unused codes the user has left (shown on the security page). */
export async function recoveryCodesLeft(db: Pick<Db, "select">, userId: string): Promise<number> {
  const rows = await db
    .select({ id: recoveryCodes.id })
    .from(recoveryCodes)
    .where(and(eq(recoveryCodes.userId, userId), isNull(recoveryCodes.usedAt)));
  return rows.length;
}
