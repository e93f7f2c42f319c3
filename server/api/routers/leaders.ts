import { listLeaders, listLeadersInput } from "../../queries/leaders";
import { publicProcedure, router } from "../trpc";

export const leadersRouter = router({
  list: publicProcedure
    .input(listLeadersInput)
    .query(({ ctx, input }) => listLeaders(ctx.db, input)),
});
