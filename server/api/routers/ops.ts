import "server-only";
import { z } from "zod";
import { opsSeries } from "../../ops/metrics-series";
import { roleProcedure, router } from "../trpc";

/** The Operations page (ADR 0046): admins only; support and customers are refused. */
export const opsRouter = router({
  series: roleProcedure("admin")
    .input(
      z.object({
        range: z.enum(["hour", "day"], { error: "Range: choose hour or day." }),
      }),
    )
    .query(({ ctx, input }) => opsSeries(ctx.db, input.range)),
});
