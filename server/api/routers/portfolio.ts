import "server-only";
import { TRPCError } from "@trpc/server";
import { checked, form, orderInput, symbolField } from "../../domain/inputs";
import { D } from "../../domain/money";
import { placeManualOrder } from "../../engine/execute/manual-orders";
import { engineDepsForWeb } from "../../engine/web-deps";
import { primaryAccount } from "../../queries/accounts";
import { closeOrderFor, ownUnits, portfolio } from "../../queries/portfolio";
import { ticketContext } from "../../queries/ticket";
import { protectedProcedure, router } from "../trpc";
import { engineCall, notFound } from "./errors";
import { inRequestTx } from "./request-tx";

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
  /** What the follower's own trade ticket shows: cash, instruments, quotes, recent orders. */
  ticket: protectedProcedure.query(async ({ ctx }) => {
    const account = (await primaryAccount(ctx.db, ctx.viewer.id)) ?? notFound("account");
    return ticketContext(ctx.db, account.id, new Date());
  }),
  /**
   * A follower's own trade (ADR 0030): it belongs to no copy, so replication is unaffected.
   * Selling is limited to the units that are the follower's own — units a running copy holds
   * follow its leader, and selling them here would put the copy out of line. Leaders trade
   * from their console, where each fill's reach to followers is shown.
   */
  placeOrder: protectedProcedure.input(checked(orderInput)).mutation(async ({ ctx, input }) => {
    if (ctx.viewer.role === "leader")
      throw new TRPCError({
        code: "PRECONDITION_FAILED",
        message: "Leaders trade from the leader console, where every fill is copied to followers.",
      });
    const account = (await primaryAccount(ctx.db, ctx.viewer.id)) ?? notFound("account");
    if (input.side === "sell") {
      const own = await ownUnits(ctx.db, ctx.viewer.id, input.symbol);
      if (D(input.qty).gt(own))
        throw new TRPCError({
          code: "BAD_REQUEST",
          message: own.gt(0)
            ? `qty: you can sell up to ${own.toString()} ${input.symbol}, the units that are your own; units a running copy holds follow its leader.`
            : `qty: you hold no ${input.symbol} of your own to sell; units a running copy holds follow its leader.`,
        });
    }
    const limitPrice = input.type === "limit" && input.limitPrice ? input.limitPrice : undefined;
    return inRequestTx(ctx, (db) =>
      engineCall(() =>
        placeManualOrder(engineDepsForWeb(db), {
          brokerAccountId: account.id,
          userId: ctx.viewer.id,
          symbol: input.symbol,
          side: input.side,
          type: input.type,
          qty: input.qty,
          limitPrice,
        }),
      ),
    );
  }),
});
