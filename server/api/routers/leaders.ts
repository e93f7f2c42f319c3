import "server-only";
import {
  leaderProfile,
  leaderProfileInput,
  listLeaders,
  listLeadersInput,
} from "../../queries/leaders";
import { copyPreview } from "../../queries/copies";
import { checked, copyPreviewInput } from "../../domain/inputs";
import { publicProcedure, router } from "../trpc";
import { notFound } from "./errors";

export const leadersRouter = router({
  list: publicProcedure
    .input(checked(listLeadersInput))
    .query(({ ctx, input }) => listLeaders(ctx.db, input)),
  profile: publicProcedure.input(checked(leaderProfileInput)).query(async ({ ctx, input }) => {
    const p = await leaderProfile(ctx.db, input.handle);
    return p ?? notFound("leader");
  }),
  /** The copy form's worked example; uses the caller's own cash when signed in. */
  copyPreview: publicProcedure.input(checked(copyPreviewInput)).query(async ({ ctx, input }) => {
    const p = await copyPreview(ctx.db, ctx.viewer?.id ?? null, input);
    return p ?? notFound("leader");
  }),
});
