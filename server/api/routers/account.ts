import { TRPCError } from "@trpc/server";
import { recordFunding } from "../../engine/book/funding";
import { engineDepsForWeb } from "../../engine/web-deps";
import { D, fmt } from "../../domain/money";
import { availableToAllocate, ensureAccount, primaryAccount } from "../../queries/accounts";
import { protectedProcedure, router } from "../trpc";
import { amountInput } from "./copies";
import { engineCall } from "./errors";

export const accountRouter = router({
  summary: protectedProcedure.query(async ({ ctx }) => {
    const acct = await primaryAccount(ctx.db, ctx.viewer.id);
    if (!acct) return null;
    return { ...acct, funds: await availableToAllocate(ctx.db, acct.id) };
  }),
  /** Paper money in: recorded on the books; the worker mirrors it at the paper broker. */
  deposit: protectedProcedure.input(amountInput).mutation(async ({ ctx, input }) => {
    const acct = await ensureAccount(ctx.db, ctx.viewer.id);
    const cash = await engineCall(() =>
      recordFunding(engineDepsForWeb(ctx.db), {
        brokerAccountId: acct.id,
        amount: input.amount,
        by: `user:${ctx.viewer.id}`,
        transferAtBroker: true,
      }),
    );
    return { cash };
  }),
  withdraw: protectedProcedure.input(amountInput).mutation(async ({ ctx, input }) => {
    const acct = await primaryAccount(ctx.db, ctx.viewer.id);
    if (!acct)
      throw new TRPCError({
        code: "BAD_REQUEST",
        message: "Amount: there is nothing to withdraw yet.",
      });
    const funds = await availableToAllocate(ctx.db, acct.id);
    if (D(input.amount).gt(funds.available)) {
      throw new TRPCError({
        code: "BAD_REQUEST",
        message: `Amount: you can withdraw at most ${funds.available} ${acct.currency}; the rest is allocated to your copies. Lower a copy's amount first.`,
      });
    }
    const cash = await engineCall(() =>
      recordFunding(engineDepsForWeb(ctx.db), {
        brokerAccountId: acct.id,
        amount: fmt(D(input.amount).neg()),
        by: `user:${ctx.viewer.id}`,
        transferAtBroker: true,
      }),
    );
    return { cash };
  }),
});
