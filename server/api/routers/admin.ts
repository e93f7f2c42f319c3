import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { closeBreaker, openBreaker } from "../../engine/risk/breakers";
import { traceOrder } from "../../engine/ops/trace";
import { systemClock } from "../../domain/clock";
import { adminOverview, listBreakers, recentReconciliations } from "../../queries/admin";
import { roleProcedure, router } from "../trpc";

const staff = roleProcedure("admin", "support");
const admin = roleProcedure("admin");

export const adminRouter = router({
  overview: staff.query(({ ctx }) => adminOverview(ctx.db)),
  breakers: staff.query(({ ctx }) => listBreakers(ctx.db)),
  reconciliations: staff.query(({ ctx }) => recentReconciliations(ctx.db)),
  /** Support's "why": a follower order traced back to the leader fill that caused it. */
  trace: staff
    .input(
      z.object({ ref: z.string().trim().min(1, "Enter a client order id or order id").max(200) }),
    )
    .query(async ({ ctx, input }) => {
      const found = await traceOrder(ctx.db, input.ref);
      if (!found) throw new TRPCError({ code: "NOT_FOUND", message: `No order ${input.ref}.` });
      return found;
    }),
  openBreaker: admin
    .input(
      z.object({
        scope: z.enum(["global", "leader", "instrument", "broker"]),
        key: z.string().trim().max(100).default("*"),
        reason: z.string().trim().min(3, "Say why the breaker is opened").max(200),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      if (input.scope !== "global" && (!input.key || input.key === "*")) {
        throw new TRPCError({
          code: "BAD_REQUEST",
          message: "key: name the leader id, symbol or broker.",
        });
      }
      const id = await openBreaker(
        { db: ctx.db, clock: systemClock },
        { ...input, by: `admin:${ctx.viewer.email}`, actorUserId: ctx.viewer.id },
      );
      return { id, alreadyOpen: id === null };
    }),
  closeBreaker: admin
    .input(z.object({ id: z.string().uuid() }))
    .mutation(async ({ ctx, input }) => {
      const closed = await closeBreaker(
        { db: ctx.db, clock: systemClock },
        input.id,
        `admin:${ctx.viewer.email}`,
        ctx.viewer.id,
      );
      if (!closed)
        throw new TRPCError({ code: "NOT_FOUND", message: "No open breaker with that id." });
      return { closed };
    }),
});
