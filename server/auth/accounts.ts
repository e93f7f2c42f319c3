import { eq } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../db/client";
import { auditLog, users, type UserRole } from "../../db/schema";
import { openPaperAccount } from "../engine/copies/onboarding";
import { hashPassword, verifyPassword } from "./password";
import { clearFailures, lockedUntil, recordFailure } from "./throttle";

export const signUpInput = z.object({
  email: z.string().trim().toLowerCase().email("Enter a valid e-mail address"),
  password: z
    .string()
    .min(10, "Password must be at least 10 characters")
    .max(200, "Password must be at most 200 characters"),
  displayName: z
    .string()
    .trim()
    .min(2, "Name must be at least 2 characters")
    .max(60, "Name must be at most 60 characters"),
});
export type SignUpInput = z.infer<typeof signUpInput>;

export class AuthError extends Error {
  constructor(
    public readonly code: "EMAIL_TAKEN" | "INVALID_CREDENTIALS" | "THROTTLED" | "INVALID_INPUT",
    message: string,
  ) {
    super(message);
  }
}

export type SessionUser = { id: string; email: string; name: string; role: UserRole };

export async function signUp(
  db: Db,
  raw: unknown,
  role: UserRole = "follower",
): Promise<SessionUser> {
  const parsed = signUpInput.safeParse(raw);
  if (!parsed.success)
    throw new AuthError("INVALID_INPUT", parsed.error.issues.map((i) => i.message).join("; "));
  const input = parsed.data;
  const passwordHash = await hashPassword(input.password);
  const inserted = await db
    .insert(users)
    .values({ email: input.email, passwordHash, displayName: input.displayName, role })
    .onConflictDoNothing({ target: users.email })
    .returning();
  const user = inserted[0];
  if (!user)
    throw new AuthError(
      "EMAIL_TAKEN",
      "An account with this e-mail already exists. Sign in instead.",
    );
  await db.insert(auditLog).values({
    actorUserId: user.id,
    action: "user.sign_up",
    targetType: "user",
    targetId: user.id,
  });
  await openPaperAccount(db, user.id);
  return { id: user.id, email: user.email, name: user.displayName, role: user.role };
}

/**
 * Checks a password, throttled per e-mail address: after repeated failures further attempts
 * are refused for a while even with the right password, which makes guessing impractical.
 */
export async function verifyCredentials(
  db: Db,
  emailRaw: string,
  password: string,
  now: Date = new Date(),
): Promise<SessionUser> {
  const email = emailRaw.trim().toLowerCase();
  const key = `email:${email}`;
  const locked = await lockedUntil(db, key, now);
  if (locked) {
    const minutes = Math.max(1, Math.ceil((locked.getTime() - now.getTime()) / 60_000));
    throw new AuthError(
      "THROTTLED",
      `Too many failed sign-ins. Try again in ${minutes} minute(s).`,
    );
  }
  const [user] = await db.select().from(users).where(eq(users.email, email));
  const ok = user ? await verifyPassword(user.passwordHash, password) : false;
  if (!user || !ok) {
    await recordFailure(db, key, now);
    throw new AuthError("INVALID_CREDENTIALS", "Wrong e-mail or password.");
  }
  await clearFailures(db, key);
  return { id: user.id, email: user.email, name: user.displayName, role: user.role };
}
