import "server-only";
import { TRPCError } from "@trpc/server";
import {
  AuthError,
  changePassword,
  changePasswordInput,
  publicSignUp,
  signUpInput,
} from "../../auth/accounts";
import { signOutEverywhere } from "../../auth/sessions";
import { checked, textField } from "../../domain/inputs";
import { protectedProcedure, publicProcedure, router } from "../trpc";

const NO_CLIENT = { ip: "unknown", userAgent: "" };

// The name is stored and shown to others: the shared text rules (no control characters, valid
// Unicode) apply — a NUL byte in it used to reach PostgreSQL and come back as a 500.
const signUpForm = signUpInput.extend({
  displayName: textField({ label: "Name", min: 2, max: 60 }),
});

export const authRouter = router({
  // The same answer for a new and an existing e-mail (docs/adr/0012).
  signUp: publicProcedure
    .input(checked(signUpForm))
    .mutation(({ ctx, input }) => publicSignUp(ctx.db, input, ctx.client ?? NO_CLIENT)),
  me: protectedProcedure.query(({ ctx }) => {
    const { sessionId: _sid, ...viewer } = ctx.viewer;
    return viewer;
  }),
  signOutEverywhere: protectedProcedure.mutation(async ({ ctx }) => ({
    sessionsEnded: await signOutEverywhere(ctx.db, ctx.viewer.id, ctx.client ?? NO_CLIENT),
  })),
  changePassword: protectedProcedure
    .input(checked(changePasswordInput))
    .mutation(async ({ ctx, input }) => {
      try {
        return await changePassword(
          ctx.db,
          ctx.viewer.id,
          input,
          ctx.client ?? NO_CLIENT,
          ctx.viewer.sessionId,
        );
      } catch (err) {
        if (err instanceof AuthError && err.code === "INVALID_CREDENTIALS")
          throw new TRPCError({ code: "BAD_REQUEST", message: err.message });
        throw err;
      }
    }),
});
