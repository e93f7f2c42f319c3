import { z } from "zod";
import { placeManualOrder, requestCancelOrder } from "../../engine/execute/manual-orders";
import { engineDepsForWeb } from "../../engine/web-deps";
import {
  leaderConsole,
  leaderForUser,
  updateLeaderProfile,
  updateProfileInput,
} from "../../queries/leader-console";
import { roleProcedure, router } from "../trpc";
import { engineCall, notFound } from "./errors";

const leaderProcedure = roleProcedure("leader");

export const placeOrderInput = z
  .object({
    symbol: z.string().trim().min(1, "Instrument: choose one"),
    side: z.enum(["buy", "sell"]),
    type: z.enum(["market", "limit"]),
    qty: z.string().trim().min(1, "Quantity: enter how many"),
    limitPrice: z.string().trim().optional(),
  })
  .refine((v) => v.type === "market" || (v.limitPrice ?? "") !== "", {
    message: "Limit price: a limit order needs a price",
    path: ["limitPrice"],
  });

export const leaderConsoleRouter = router({
  overview: leaderProcedure.query(async ({ ctx }) => {
    return (
      (await leaderConsole(ctx.db, ctx.viewer.id)) ?? notFound("leader profile for this account")
    );
  }),
  updateProfile: leaderProcedure.input(updateProfileInput).mutation(async ({ ctx, input }) => {
    return (
      (await updateLeaderProfile(ctx.db, ctx.viewer.id, input)) ??
      notFound("leader profile for this account")
    );
  }),
  placeOrder: leaderProcedure.input(placeOrderInput).mutation(async ({ ctx, input }) => {
    const leader =
      (await leaderForUser(ctx.db, ctx.viewer.id)) ?? notFound("leader profile for this account");
    return engineCall(() =>
      placeManualOrder(engineDepsForWeb(ctx.db), {
        brokerAccountId: leader.brokerAccountId,
        userId: ctx.viewer.id,
        symbol: input.symbol,
        side: input.side,
        type: input.type,
        qty: input.qty,
        limitPrice: input.type === "limit" ? input.limitPrice : undefined,
      }),
    );
  }),
  cancelOrder: leaderProcedure
    .input(z.object({ orderId: z.string().uuid() }))
    .mutation(async ({ ctx, input }) => {
      await engineCall(() =>
        requestCancelOrder(engineDepsForWeb(ctx.db), {
          orderId: input.orderId,
          userId: ctx.viewer.id,
        }),
      );
      return { ok: true };
    }),
});
