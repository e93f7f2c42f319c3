import { adminOverview } from "../../queries/admin";
import { roleProcedure, router } from "../trpc";

export const adminRouter = router({
  overview: roleProcedure("admin", "support").query(({ ctx }) => adminOverview(ctx.db)),
});
