import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyRelationships } from "../../../db/schema";
import { createTestDb } from "../../../test/db";
import { provenViewer } from "../../../test/second-factor";
import { noMutationLimits } from "../../auth/rate-limits";
import { recordSecondFactorProof } from "../../auth/step-up";
import type { Viewer } from "../../auth/sessions";
import { makeWorld } from "../../engine/testing/test-world";
import { NO_LIMITS } from "../../engine/testing/limits";
import { createCaller } from "../root";

/** A copy's allocation above TANDEM_STEP_UP_ALLOCATION (10 000) needs step-up (ADR 0050). */
let t: Awaited<ReturnType<typeof createTestDb>>;
const as = (viewer: Viewer) => createCaller({ db: t.db, viewer, rateLimits: noMutationLimits });
const allocationOf = async (id: string) =>
  (await t.db.select().from(copyRelationships).where(eq(copyRelationships.id, id)))[0]!.allocation;

beforeAll(async () => {
  t = await createTestDb();
});
afterAll(() => t.drop());

describe("copy allocation step-up", () => {
  it("raising above the threshold asks for the factor; lowering never does", async () => {
    const w = await makeWorld(t.db, { followers: 1, allocation: "5000" });
    const rel = w.followers[0]!.relationshipId;
    const [row] = await t.db.select().from(copyRelationships).where(eq(copyRelationships.id, rel));
    // The follower has an authenticator app, not re-proved in this session.
    const me = await provenViewer(t.db, row!.followerId, { proven: false });

    const refused = await as(me)
      .copies.setAllocation({ id: rel, allocation: "20000" })
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: "FORBIDDEN", cause: { publicCode: "STEP_UP_REQUIRED" } });
    expect(await allocationOf(rel)).toBe("5000");

    // Lowering (and raising to at most 10 000) goes through without a code.
    await as(me).copies.setAllocation({ id: rel, allocation: "4000" });
    expect(await allocationOf(rel)).toBe("4000");

    // A new copy above the threshold is refused the same way, before anything is written.
    const start = await as(me)
      .copies.start({
        leaderId: w.leaderId,
        sizing: { mode: "proportional", amount: "15000" },
        limits: NO_LIMITS,
        onInsufficientFunds: "reduce",
        copyOpenPositions: false,
        consent: true,
        agreementVersion: await as(me).copies.agreementVersion(),
      })
      .catch((e: unknown) => e);
    expect(start).toMatchObject({ cause: { publicCode: "STEP_UP_REQUIRED" } });

    // Once the session proves its factor, the raise is no longer a step-up refusal.
    await recordSecondFactorProof(t.db, me.sessionId, "totp");
    const after = await as(me)
      .copies.setAllocation({ id: rel, allocation: "20000" })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect((after as { cause?: { publicCode?: string } } | null)?.cause?.publicCode).not.toBe(
      "STEP_UP_REQUIRED",
    );
  });
});
