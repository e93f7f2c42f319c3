import "server-only";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import {
  pauseCopy,
  resumeCopy,
  setAllocation,
  startCopy,
  stopCopy,
} from "../../engine/copies/intents";
import { engineDepsForWeb } from "../../engine/web-deps";
import { ensureAccount } from "../../queries/accounts";
import {
  AGREEMENT_VERSION,
  copyDetail,
  listCopies,
  ownsCopy,
  updateLimits,
  validateNewCopy,
} from "../../queries/copies";
import {
  amountField,
  amountInput,
  choiceField,
  flagField,
  form,
  idField,
  textField,
  checked,
  copyIdInput,
  riskLimitsInput,
  sizingInput,
} from "../../domain/inputs";
import { eq } from "drizzle-orm";
import { copyRelationships } from "../../../db/schema";
import { allocationNeedsStepUp, requireStepUp } from "../../auth/step-up";
import { protectedProcedure, router } from "../trpc";
import { usableAccount } from "./brokers";
import { engineCall, notFound } from "./errors";
import { inRequestTx } from "./request-tx";

export const startCopyInput = form({
  leaderId: idField("Leader"),
  sizing: sizingInput,
  limits: riskLimitsInput,
  onInsufficientFunds: choiceField(
    "When funds run short",
    ["reduce", "skip"],
    "reduce or skip",
  ).default("reduce"),
  copyOpenPositions: flagField("Copy open positions").default(false),
  consent: z.literal(true, { error: "Consent: tick the box to agree to the copy terms." }),
  agreementVersion: textField({ label: "Agreement version", min: 1, max: 100 }),
  /** The caller's account to copy into (a connected broker account); default the first. */
  brokerAccountId: idField("Account").optional(),
});

async function owned(
  ctx: { db: Parameters<typeof ownsCopy>[0]; viewer: { id: string } },
  id: string,
) {
  if (!(await ownsCopy(ctx.db, ctx.viewer.id, id))) notFound("copy");
}

export const copiesRouter = router({
  agreementVersion: protectedProcedure.query(() => AGREEMENT_VERSION),
  mine: protectedProcedure.query(({ ctx }) => listCopies(ctx.db, ctx.viewer.id)),
  detail: protectedProcedure.input(checked(copyIdInput)).query(async ({ ctx, input }) => {
    return (await copyDetail(ctx.db, ctx.viewer.id, input.id)) ?? notFound("copy");
  }),
  start: protectedProcedure.input(checked(startCopyInput)).mutation(async ({ ctx, input }) => {
    if (input.agreementVersion !== AGREEMENT_VERSION) {
      throw new TRPCError({
        code: "CONFLICT",
        message:
          "The copy terms changed while you were reading them. Reload the page and review them again.",
      });
    }
    const s = input.sizing;
    // A large allocation is a step-up action (docs/adr/0050); a new copy starts from nothing.
    if (allocationNeedsStepUp(null, s.amount)) await requireStepUp(ctx, "copy.allocation");
    const id = await inRequestTx(ctx, async (db) => {
      const account = input.brokerAccountId
        ? ((await usableAccount(db, ctx.viewer.id, input.brokerAccountId)) ??
          notFound("connected account"))
        : await ensureAccount(db, ctx.viewer.id);
      const refusal = await validateNewCopy(db, {
        followerId: ctx.viewer.id,
        leaderId: input.leaderId,
        brokerAccountId: account.id,
        amount: input.sizing.amount,
      });
      if (refusal) throw new TRPCError(refusal);
      // startCopy checks the graph, the live-copy rule and the funds again under its locks.
      return engineCall(() =>
        startCopy(engineDepsForWeb(db), {
          followerId: ctx.viewer.id,
          leaderId: input.leaderId,
          brokerAccountId: account.id,
          sizing:
            s.mode === "proportional"
              ? { mode: "proportional", allocation: s.amount }
              : s.mode === "multiplier"
                ? { mode: "multiplier", allocation: s.amount, factor: s.factor }
                : { mode: "fixed_notional", allocation: s.amount, notional: s.notional },
          risk: input.limits,
          onInsufficientFunds: input.onInsufficientFunds,
          agreementVersion: input.agreementVersion,
          copyOpenPositions: input.copyOpenPositions,
          enforceFunds: true,
        }),
      );
    });
    return { id };
  }),
  pause: protectedProcedure.input(checked(copyIdInput)).mutation(async ({ ctx, input }) => {
    await owned(ctx, input.id);
    await inRequestTx(ctx, (db) =>
      engineCall(() => pauseCopy(engineDepsForWeb(db), input.id, `user:${ctx.viewer.id}`)),
    );
    return { ok: true };
  }),
  resume: protectedProcedure.input(checked(copyIdInput)).mutation(async ({ ctx, input }) => {
    await owned(ctx, input.id);
    await inRequestTx(ctx, (db) =>
      engineCall(() => resumeCopy(engineDepsForWeb(db), input.id, `user:${ctx.viewer.id}`)),
    );
    return { ok: true };
  }),
  stop: protectedProcedure
    .input(checked(copyIdInput.extend({ closePositions: flagField("Close positions") })))
    .mutation(async ({ ctx, input }) => {
      await owned(ctx, input.id);
      await inRequestTx(ctx, (db) =>
        engineCall(() =>
          stopCopy(engineDepsForWeb(db), input.id, {
            reason: "STOPPED",
            by: `user:${ctx.viewer.id}`,
            closePositions: input.closePositions,
          }),
        ),
      );
      return { ok: true };
    }),
  /** Add or withdraw funds on a copy: its allocation moves up or down and the ratio is fixed again. */
  setAllocation: protectedProcedure
    .input(checked(copyIdInput.extend({ allocation: amountField() })))
    .mutation(async ({ ctx, input }) => {
      await owned(ctx, input.id);
      const [rel] = await ctx.db
        .select({ allocation: copyRelationships.allocation })
        .from(copyRelationships)
        .where(eq(copyRelationships.id, input.id));
      if (allocationNeedsStepUp(rel?.allocation ?? null, input.allocation))
        await requireStepUp(ctx, "copy.allocation");
      // The funds check happens inside, under the account's balance row lock.
      await inRequestTx(ctx, (db) =>
        engineCall(() =>
          setAllocation(engineDepsForWeb(db), input.id, input.allocation, `user:${ctx.viewer.id}`, {
            enforceFunds: true,
          }),
        ),
      );
      return { ok: true };
    }),
  setLimits: protectedProcedure
    .input(checked(copyIdInput.extend({ limits: riskLimitsInput })))
    .mutation(async ({ ctx, input }) => {
      const r = await inRequestTx(ctx, (db) =>
        updateLimits(db, ctx.viewer.id, input.id, input.limits),
      );
      if (r === "NOT_FOUND") notFound("copy");
      if (r === "STOPPED")
        throw new TRPCError({
          code: "CONFLICT",
          message: "The copy is stopped; its limits no longer apply.",
        });
      return { ok: true };
    }),
});

export { amountInput };
