import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb } from "../../test/db";
import { signInWithPassword, signUp } from "./accounts";
import {
  allocationNeedsStepUp,
  recordSecondFactorProof,
  requireStepUp,
  STEP_UP_REQUIRED,
} from "./step-up";
import { eq } from "drizzle-orm";
import { auditLog, users } from "../../db/schema";
import { keyId, SecretBox } from "../secrets/secret-box";
import { enrolTotpConfirmed } from "./totp";
import { createSession, resolveSession } from "./sessions";

const key = Buffer.alloc(32, 3);
const box = new SecretBox({ id: keyId(key), key });

let t: Awaited<ReturnType<typeof createTestDb>>;
const client = { ip: "198.51.100.9", userAgent: "Vitest" };

beforeAll(async () => {
  t = await createTestDb();
  const sam = await signUp(t.db, {
    email: "sam@example.test",
    password: "sam-password-1",
    displayName: "Sam",
  });
  await signUp(t.db, { email: "fay@example.test", password: "fay-password-1", displayName: "Fay" });
  // Sam has an authenticator app; Fay (a follower) has no second factor at all.
  await enrolTotpConfirmed(t.db, box, sam.id, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP");
});
afterAll(() => t.drop());

/** A session of Sam's (no second factor proven yet: created directly, as after sign-in). */
async function session() {
  const [u] = await t.db.select().from(users).where(eq(users.email, "sam@example.test"));
  const sid = await createSession(t.db, u!.id, client);
  return { db: t.db, viewer: await resolveSession(t.db, sid) };
}

describe("step-up", () => {
  it("is refused with STEP_UP_REQUIRED before any second factor", async () => {
    const ctx = await session();
    const err = await requireStepUp(ctx, "account.withdraw").catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "FORBIDDEN", cause: { publicCode: STEP_UP_REQUIRED } });
    expect((err as Error).message).toMatch(/Confirm it's you/);
  });

  it("passes within the window and expires after it, per session", async () => {
    const ctx = await session();
    const other = await session();
    const proven = new Date("2026-12-02T02:00:00Z");
    await recordSecondFactorProof(t.db, ctx.viewer!.sessionId!, "totp", proven);
    await expect(
      requireStepUp(ctx, "account.withdraw", new Date(proven.getTime() + 4 * 60_000)),
    ).resolves.toBeUndefined();
    await expect(
      requireStepUp(ctx, "account.withdraw", new Date(proven.getTime() + 5 * 60_000 + 1000)),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
    // Another session of the same user proved nothing.
    await expect(
      requireStepUp(other, "account.withdraw", new Date(proven.getTime() + 60_000)),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
  });

  it("a follower without any second factor is not asked; a leader without one is", async () => {
    const u = await signInWithPassword(
      t.db,
      { email: "fay@example.test", password: "fay-password-1" },
      client,
    );
    const viewer = (await resolveSession(t.db, u.sessionId))!;
    await expect(requireStepUp({ db: t.db, viewer }, "account.withdraw")).resolves.toBeUndefined();
    await expect(
      requireStepUp({ db: t.db, viewer: { ...viewer, role: "leader" } }, "apiKeys.create"),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
  });

  it("a caller without a session is refused", async () => {
    const ctx = await session();
    await expect(
      requireStepUp({ db: t.db, viewer: { ...ctx.viewer!, sessionId: undefined } }, "x"),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
  });

  it("a refusal is audited with the action it stopped", async () => {
    const ctx = await session();
    await requireStepUp({ ...ctx, client }, "broker.connect").catch(() => null);
    const rows = await t.db
      .select()
      .from(auditLog)
      .where(eq(auditLog.targetId, ctx.viewer!.sessionId!));
    expect(rows).toMatchObject([
      {
        action: "user.step_up_required",
        actorUserId: ctx.viewer!.id,
        ip: client.ip,
        details: { action: "broker.connect" },
      },
    ]);
  });

  it("an allocation needs step-up only when it rises above the threshold", () => {
    const env = { TANDEM_STEP_UP_ALLOCATION: "10000" };
    expect(allocationNeedsStepUp(null, "10000", env)).toBe(false); // at the threshold
    expect(allocationNeedsStepUp(null, "10000.01", env)).toBe(true); // a new copy above it
    expect(allocationNeedsStepUp("5000", "12000", env)).toBe(true); // raised past it
    expect(allocationNeedsStepUp("20000", "15000", env)).toBe(false); // lowered
    expect(allocationNeedsStepUp("20000", "20000", env)).toBe(false); // unchanged
    expect(allocationNeedsStepUp("20000", "20000.5", env)).toBe(true); // any rise above it
    // A misspelt setting falls back to 10 000 rather than switching the check off.
    expect(allocationNeedsStepUp(null, "10001", { TANDEM_STEP_UP_ALLOCATION: "ten" })).toBe(true);
    expect(allocationNeedsStepUp(null, "2500", { TANDEM_STEP_UP_ALLOCATION: "1000" })).toBe(true);
  });
});
