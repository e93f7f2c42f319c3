import { TRPCError } from "@trpc/server";
import { AuthError, signUp, signUpInput } from "../../auth/accounts";
import { protectedProcedure, publicProcedure, router } from "../trpc";

export const authRouter = router({
  signUp: publicProcedure.input(signUpInput).mutation(async ({ ctx, input }) => {
    try {
      const user = await signUp(ctx.db, input);
      return { id: user.id, email: user.email };
    } catch (err) {
      if (err instanceof AuthError && err.code === "EMAIL_TAKEN")
        throw new TRPCError({ code: "CONFLICT", message: err.message });
      throw err;
    }
  }),
  me: protectedProcedure.query(({ ctx }) => ctx.viewer),
});
