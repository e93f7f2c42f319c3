import "server-only";
import { placeManualOrder, requestCancelOrder } from "../../engine/execute/manual-orders";
import { engineDepsForWeb } from "../../engine/web-deps";
import { form, idField, checked, orderInput } from "../../domain/inputs";
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

// One set of rules for every order a person places (server/domain/inputs.ts).
export const placeOrderInput = orderInput;

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
    // The market, the price collar and buying power are checked in placeManualOrder, for
    // every way an order arrives.
    const limitPrice = input.type === "limit" && input.limitPrice ? input.limitPrice : undefined;
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
