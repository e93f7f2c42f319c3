import "server-only";
import { TRPCError } from "@trpc/server";
import { eq } from "drizzle-orm";
import { z } from "zod";
import { quotes } from "../../../db/schema";
import { placeManualOrder, requestCancelOrder } from "../../engine/execute/manual-orders";
import { engineDepsForWeb } from "../../engine/web-deps";
import {
  choiceField,
  DECIMAL_RULES,
  decimalField,
  form,
  idField,
  priceCollarProblem,
  symbolField,
  checked,
} from "../../domain/inputs";
import {
  leaderConsole,
  leaderForUser,
  updateLeaderProfile,
  updateProfileInput,
} from "../../queries/leader-console";
import { roleProcedure, router } from "../trpc";
import { engineCall, notFound } from "./errors";
import { inRequestTx } from "./request-tx";

const leaderProcedure = roleProcedure("leader");

export const placeOrderInput = form({
  symbol: symbolField,
  side: choiceField("Side", ["buy", "sell"]),
  type: choiceField("Order type", ["market", "limit"]),
  qty: decimalField(DECIMAL_RULES.qty),
  // An empty box is "no price" (market orders); anything typed must be a valid price.
  limitPrice: z.preprocess(
    (v) => (typeof v === "string" && v.trim() === "" ? undefined : v),
    decimalField(DECIMAL_RULES.limitPrice).optional(),
  ),
}).refine((v) => v.type === "market" || (v.limitPrice ?? "") !== "", {
  message: "Limit price: a limit order needs a price",
  path: ["limitPrice"],
});

export const leaderConsoleRouter = router({
  overview: leaderProcedure.query(async ({ ctx }) => {
    return (
      (await leaderConsole(ctx.db, ctx.viewer.id)) ?? notFound("leader profile for this account")
    );
  }),
  updateProfile: leaderProcedure
    .input(checked(updateProfileInput))
    .mutation(async ({ ctx, input }) => {
      // The profile and its audit row commit together or not at all.
      return (
        (await inRequestTx(ctx, (db) => updateLeaderProfile(db, ctx.viewer.id, input))) ??
        notFound("leader profile for this account")
      );
    }),
  placeOrder: leaderProcedure.input(checked(placeOrderInput)).mutation(async ({ ctx, input }) => {
    const leader =
      (await leaderForUser(ctx.db, ctx.viewer.id)) ?? notFound("leader profile for this account");
    const limitPrice = input.type === "limit" && input.limitPrice ? input.limitPrice : undefined;
    if (limitPrice) {
      // The collar: a limit far from the market is a typo that every follower would copy.
      const [quote] = await ctx.db.select().from(quotes).where(eq(quotes.symbol, input.symbol));
      const problem = quote ? priceCollarProblem(limitPrice, quote) : null;
      if (problem) throw new TRPCError({ code: "BAD_REQUEST", message: problem });
    }
    return inRequestTx(ctx, (db) =>
      engineCall(() =>
        placeManualOrder(engineDepsForWeb(db), {
          brokerAccountId: leader.brokerAccountId,
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
  cancelOrder: leaderProcedure
    .input(checked(form({ orderId: idField("Order") })))
    .mutation(async ({ ctx, input }) => {
      await inRequestTx(ctx, (db) =>
        engineCall(() =>
          requestCancelOrder(engineDepsForWeb(db), {
            orderId: input.orderId,
            userId: ctx.viewer.id,
          }),
        ),
      );
      return { ok: true };
    }),
});
