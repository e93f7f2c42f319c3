import { TRPCError } from "@trpc/server";
import { D, type Decimal } from "../domain/money";
import { eq, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { auditLog, passkeys, sessionFactorProofs, totpFactors } from "../../db/schema";
import type { ClientInfo } from "./client-info";
import type { Viewer } from "./sessions";

/**
 * Step-up (docs/adr/0050): a high-risk action (raising an allocation above the threshold,
 * withdrawing, connecting or disconnecting a broker, creating an API key, opening or closing a
 * breaker) needs a second factor proven by this very session within the last few minutes, so
 * a stolen cookie alone cannot move money or weaken the platform's guards.
 */

/** Minutes a second-factor proof counts for step-up; TANDEM_STEP_UP_MINUTES, 5 by default. */
export function stepUpWindowMinutes(env: Record<string, string | undefined> = process.env) {
  const n = Number(env.TANDEM_STEP_UP_MINUTES);
  return Number.isInteger(n) && n > 0 && n <= 60 ? n : 5;
}

/** The machine-readable reason the UI looks for (error.data.reasonCode) to open its dialog. */
export const STEP_UP_REQUIRED = "STEP_UP_REQUIRED";

/** The cause of a step-up refusal; publicError copies `publicCode` into data.reasonCode. */
export class StepUpRequired extends Error {
  readonly publicCode = STEP_UP_REQUIRED;
  constructor(
    readonly action: string,
    message: string,
  ) {
    super(message);
    this.name = "StepUpRequired";
  }
}

export type StepUpContext = { db: Db; viewer: Viewer | null; client?: ClientInfo | null };

/** The reason a leader, support or admin procedure gives before a second factor is enrolled. */
export const SECOND_FACTOR_REQUIRED = "SECOND_FACTOR_REQUIRED";

/** The cause of that refusal; publicError copies `publicCode` into data.reasonCode. */
export class SecondFactorNotEnrolled extends Error {
  readonly publicCode = SECOND_FACTOR_REQUIRED;
  constructor(message: string) {
    super(message);
    this.name = "SecondFactorNotEnrolled";
  }
}

/**
 * Allocation (in the account's currency) above which raising a copy's allocation is a
 * step-up action: TANDEM_STEP_UP_ALLOCATION, 10 000 by default (docs/adr/0050, amendment).
 */
export function stepUpAllocationThreshold(
  env: Record<string, string | undefined> = process.env,
): Decimal {
  const raw = env.TANDEM_STEP_UP_ALLOCATION?.trim();
  if (raw && /^\d+(\.\d+)?$/.test(raw)) return D(raw);
  return D(10_000);
}

/**
 * The one rule for when an allocation change needs step-up: it is an increase (a new copy
 * starts from nothing) and the new allocation is above the threshold. Lowering an
 * allocation, or raising it to at most the threshold, never asks.
 */
export function allocationNeedsStepUp(
  previous: string | null,
  next: string,
  env: Record<string, string | undefined> = process.env,
): boolean {
  const to = D(next);
  const from = D(previous ?? 0);
  return to.gt(from) && to.gt(stepUpAllocationThreshold(env));
}

const REQUIRED_ROLES: readonly string[] = ["leader", "support", "admin"];

/** One query: whether the user has a confirmed authenticator app or a passkey. */
export async function hasAnyFactor(db: Db, userId: string): Promise<boolean> {
  const rows = await db.execute<{ any: boolean }>(
    sql`select exists(select 1 from ${totpFactors} where ${totpFactors.userId} = ${userId} and ${totpFactors.confirmedAt} is not null)
        or exists(select 1 from ${passkeys} where ${passkeys.userId} = ${userId}) as any`,
  );
  return Boolean((rows as unknown as { any: boolean }[])[0]?.any);
}

/** When this session last proved a second factor, or null. */
export async function secondFactorProvenAt(
  db: Pick<Db, "select">,
  sessionId: string | undefined,
): Promise<Date | null> {
  if (!sessionId) return null;
  const [row] = await db
    .select({ at: sessionFactorProofs.provenAt })
    .from(sessionFactorProofs)
    .where(eq(sessionFactorProofs.sessionId, sessionId));
  return row?.at ?? null;
}

/** Records that this session just proved a second factor (sign-in or step-up). */
export async function recordSecondFactorProof(
  db: Pick<Db, "insert">,
  sessionId: string,
  method: "totp" | "recovery_code" | "passkey",
  now: Date = new Date(),
): Promise<void> {
  await db
    .insert(sessionFactorProofs)
    .values({ sessionId, provenAt: now, method })
    .onConflictDoUpdate({
      target: sessionFactorProofs.sessionId,
      set: { provenAt: sql`excluded.proven_at`, method: sql`excluded.method` },
    });
}

/**
 * Throws FORBIDDEN (reasonCode STEP_UP_REQUIRED) unless the asking session proved a second
 * factor within the window. A caller without a session (a job, a test's in-process caller
 * built without one) has proved nothing, so it is refused too: there is no bypass.
 */
export async function requireStepUp(
  ctx: StepUpContext,
  action: string,
  now: Date = new Date(),
): Promise<void> {
  if (!ctx.viewer) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in to continue." });
  // A follower who never enrolled a second factor has none to re-prove: for them the action
  // stays as it was (docs/adr/0050). Anyone with a factor, and every leader and staff member
  // (who cannot open a console without one), must re-prove it.
  if (!REQUIRED_ROLES.includes(ctx.viewer.role) && !(await hasAnyFactor(ctx.db, ctx.viewer.id)))
    return;
  const at = await secondFactorProvenAt(ctx.db, ctx.viewer.sessionId);
  const windowMs = stepUpWindowMinutes() * 60_000;
  if (at && now.getTime() - at.getTime() <= windowMs && at.getTime() <= now.getTime() + 60_000)
    return;
  const message =
    "Confirm it's you: enter a code from your authenticator app (or use your passkey) to continue.";
  // The refusal itself is audited (outside any request transaction, so it stays): a run of
  // them on one account is what a stolen cookie trying its luck looks like.
  await ctx.db.insert(auditLog).values({
    actorUserId: ctx.viewer.id,
    action: "user.step_up_required",
    targetType: "session",
    targetId: ctx.viewer.sessionId ?? null,
    ip: ctx.client?.ip ?? null,
    userAgent: ctx.client?.userAgent ?? null,
    details: { action },
  });
  throw new TRPCError({
    code: "FORBIDDEN",
    message,
    cause: new StepUpRequired(action, message),
  });
}
