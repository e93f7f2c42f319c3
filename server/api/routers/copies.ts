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
  copyIdInput,
  listCopies,
  ownsCopy,
  riskLimitsInput,
  sizingInput,
  updateLimits,
  validateNewCopy,
} from "../../queries/copies";
import { availableToAllocate } from "../../queries/accounts";
import { D } from "../../domain/money";
import { protectedProcedure, router } from "../trpc";
import { engineCall, notFound } from "./errors";

export const startCopyInput = z.object({
  leaderId: z.string().uuid(),
  sizing: sizingInput,
  limits: riskLimitsInput,
  onInsufficientFunds: z.enum(["reduce", "skip"]).default("reduce"),
  copyOpenPositions: z.boolean().default(false),
  consent: z.literal(true, { error: "Consent: tick the box to agree to the copy terms." }),
  agreementVersion: z.string(),
});

const amountInput = z.object({
  amount: z
    .string()
    .trim()
    .regex(/^\d+(\.\d{1,2})?$/, "Amount: enter an amount such as 1000 or 250.50")
    .refine((v) => D(v).gt(0), "Amount: must be greater than 0")
    .refine((v) => D(v).lte(10_000_000), "Amount: at most 10,000,000 at a time"),
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
  detail: protectedProcedure.input(copyIdInput).query(async ({ ctx, input }) => {
    return (await copyDetail(ctx.db, ctx.viewer.id, input.id)) ?? notFound("copy");
  }),
  start: protectedProcedure.input(startCopyInput).mutation(async ({ ctx, input }) => {
    if (input.agreementVersion !== AGREEMENT_VERSION) {
      throw new TRPCError({
        code: "CONFLICT",
        message:
          "The copy terms changed while you were reading them. Reload the page and review them again.",
      });
    }
    const account = await ensureAccount(ctx.db, ctx.viewer.id);
    const refusal = await validateNewCopy(ctx.db, {
      followerId: ctx.viewer.id,
      leaderId: input.leaderId,
      brokerAccountId: account.id,
      amount: input.sizing.amount,
    });
    if (refusal) throw new TRPCError(refusal);
    const s = input.sizing;
    const id = await engineCall(() =>
      startCopy(engineDepsForWeb(ctx.db), {
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
      }),
    );
    return { id };
  }),
  pause: protectedProcedure.input(copyIdInput).mutation(async ({ ctx, input }) => {
    await owned(ctx, input.id);
    await engineCall(() => pauseCopy(engineDepsForWeb(ctx.db), input.id, `user:${ctx.viewer.id}`));
    return { ok: true };
  }),
  resume: protectedProcedure.input(copyIdInput).mutation(async ({ ctx, input }) => {
    await owned(ctx, input.id);
    await engineCall(() => resumeCopy(engineDepsForWeb(ctx.db), input.id, `user:${ctx.viewer.id}`));
    return { ok: true };
  }),
  stop: protectedProcedure
    .input(copyIdInput.extend({ closePositions: z.boolean() }))
    .mutation(async ({ ctx, input }) => {
      await owned(ctx, input.id);
      await engineCall(() =>
        stopCopy(engineDepsForWeb(ctx.db), input.id, {
          reason: "STOPPED",
          by: `user:${ctx.viewer.id}`,
          closePositions: input.closePositions,
        }),
      );
      return { ok: true };
    }),
  /** Add or withdraw funds on a copy: its allocation moves up or down and the ratio is fixed again. */
  setAllocation: protectedProcedure
    .input(copyIdInput.extend({ allocation: amountInput.shape.amount }))
    .mutation(async ({ ctx, input }) => {
      const detail = await copyDetail(ctx.db, ctx.viewer.id, input.id);
      if (!detail) notFound("copy");
      const current = D(detail.allocation ?? detail.referenceCapital);
      const increase = D(input.allocation).minus(current);
      if (increase.gt(0)) {
        const funds = await availableToAllocate(
          ctx.db,
          (await ensureAccount(ctx.db, ctx.viewer.id)).id,
          input.id,
        );
        if (D(input.allocation).gt(funds.available)) {
          throw new TRPCError({
            code: "BAD_REQUEST",
            message: `Amount: at most ${funds.available} is available for this copy. Add funds to your account first.`,
          });
        }
      }
      await engineCall(() =>
        setAllocation(
          engineDepsForWeb(ctx.db),
          input.id,
          input.allocation,
          `user:${ctx.viewer.id}`,
        ),
      );
      return { ok: true };
    }),
  setLimits: protectedProcedure
    .input(copyIdInput.extend({ limits: riskLimitsInput }))
    .mutation(async ({ ctx, input }) => {
      const r = await updateLimits(ctx.db, ctx.viewer.id, input.id, input.limits);
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
