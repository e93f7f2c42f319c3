import "server-only";
import { TRPCError } from "@trpc/server";
import { recordFunding } from "../../engine/book/funding";
import { engineDepsForWeb } from "../../engine/web-deps";
import { D, fmt } from "../../domain/money";
import { amountInput, checked } from "../../domain/inputs";
import { availableToAllocate, ensureAccount, primaryAccount } from "../../queries/accounts";
import { requireStepUp } from "../../auth/step-up";
import { protectedProcedure, router } from "../trpc";
import { engineCall } from "./errors";
import { inRequestTx } from "./request-tx";

export const accountRouter = router({
  summary: protectedProcedure.query(async ({ ctx }) => {
    const acct = await primaryAccount(ctx.db, ctx.viewer.id);
    if (!acct) return null;
    return { ...acct, funds: await availableToAllocate(ctx.db, acct.id) };
  }),
  /** Paper money in: recorded on the books; the worker mirrors it at the paper broker. */
  deposit: protectedProcedure.input(checked(amountInput)).mutation(async ({ ctx, input }) => {
    const cash = await inRequestTx(ctx, async (db) => {
      const acct = await ensureAccount(db, ctx.viewer.id);
      return engineCall(() =>
        recordFunding(engineDepsForWeb(db), {
          brokerAccountId: acct.id,
          amount: input.amount,
          by: `user:${ctx.viewer.id}`,
          transferAtBroker: true,
        }),
      );
    });
    return { cash };
  }),
  /**
   * Money out, at most what no copy has been promised. The check that counts is inside
   * recordFunding, under the balance row lock: parallel withdrawals are serialized there.
   */
  withdraw: protectedProcedure.input(checked(amountInput)).mutation(async ({ ctx, input }) => {
    await requireStepUp(ctx, "account.withdraw");
    const acct = await primaryAccount(ctx.db, ctx.viewer.id);
    if (!acct)
      throw new TRPCError({
        code: "BAD_REQUEST",
        message: "Amount: there is nothing to withdraw yet.",
      });
    const cash = await inRequestTx(ctx, (db) =>
      engineCall(() =>
        recordFunding(engineDepsForWeb(db), {
          brokerAccountId: acct.id,
          amount: fmt(D(input.amount).neg()),
          by: `user:${ctx.viewer.id}`,
          transferAtBroker: true,
          respectAllocations: true,
        }),
      ),
    );
    return { cash };
  }),
});
