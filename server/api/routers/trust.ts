import "server-only";
import { requireStepUp } from "../../auth/step-up";
import { checked, form, idField, textField } from "../../domain/inputs";
import { clearLeaderFlag } from "../../engine/risk/strategy-change";
import { engineDepsForWeb } from "../../engine/web-deps";
import { leaderTrust, openLeaderFlags, trustRules } from "../../queries/leader-flags";
import { leaderProfileInput } from "../../queries/leaders";
import { publicProcedure, roleProcedure, router } from "../trpc";
import { engineCall, notFound } from "./errors";
import { inRequestTx } from "./request-tx";

/** Verified badges, strategy-change flags and the rules behind them (ADR 0035, 0036). */
export const trustRouter = router({
  /** Public like the profile it sits on: the badge, an open flag, the rules in words. */
  leader: publicProcedure.input(checked(leaderProfileInput)).query(async ({ ctx, input }) => {
    return (await leaderTrust(ctx.db, input.handle)) ?? notFound("leader");
  }),
  rules: publicProcedure.query(() => trustRules()),
  flags: roleProcedure("admin", "support").query(({ ctx }) => openLeaderFlags(ctx.db)),
  /** An admin clears a flag after looking into it; like a breaker, a step-up action. */
  clearFlag: roleProcedure("admin")
    .input(
      checked(
        form({ id: idField("Flag"), reason: textField({ label: "Reason", min: 3, max: 500 }) }),
      ),
    )
    .mutation(async ({ ctx, input }) => {
      await requireStepUp(ctx, "leader_flag.clear");
      await inRequestTx(ctx, (db) =>
        engineCall(() =>
          clearLeaderFlag(engineDepsForWeb(db), input.id, {
            userId: ctx.viewer.id,
            why: input.reason,
          }),
        ),
      );
      return { ok: true };
    }),
});
