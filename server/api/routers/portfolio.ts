import "server-only";
import { TRPCError } from "@trpc/server";
import { checked, form, symbolField } from "../../domain/inputs";
import { placeManualOrder } from "../../engine/execute/manual-orders";
import { engineDepsForWeb } from "../../engine/web-deps";
import { closeOrderFor, portfolio } from "../../queries/portfolio";
import { protectedProcedure, router } from "../trpc";
import { engineCall } from "./errors";

export const portfolioRouter = router({
  /** The caller's account: cash, positions at market with their origin, P&L. */
  summary: protectedProcedure.query(({ ctx }) => portfolio(ctx.db, ctx.viewer.id)),
  /**
   * Closes the caller's own units of one instrument (kept from a stopped copy, or bought by
   * hand) with a manual market order: recorded here, sent by the worker (ADR 0002), and
   * attached to no copy, so replication is unaffected (ADR 0030).
   */
  close: protectedProcedure
    .input(checked(form({ symbol: symbolField })))
    .mutation(async ({ ctx, input }) => {
      const plan = await closeOrderFor(ctx.db, ctx.viewer.id, input.symbol);
      if (!plan.ok) throw new TRPCError({ code: plan.code, message: plan.message });
      const placed = await engineCall(() =>
        placeManualOrder(engineDepsForWeb(ctx.db), {
          brokerAccountId: plan.brokerAccountId,
          userId: ctx.viewer.id,
          symbol: input.symbol,
          side: plan.side,
          type: "market",
          qty: plan.qty,
        }),
      );
      return { ...placed, side: plan.side, qty: plan.qty };
    }),
});
