import "server-only";
import { writeAudit } from "../../engine/copies/intents";
import { acceptFeeTerms, feeOffer, setLeaderFees, setPlatformFees } from "../../engine/fees/terms";
import { feeTermsForNewCopy, latestSchedule, platformSettings } from "../../engine/fees/schedule";
import { engineDepsForWeb } from "../../engine/web-deps";
import { checked, choiceField, copyIdInput, form, idField, textField } from "../../domain/inputs";
import { FEE_CAPS } from "../../domain/fees";
import { leaderEarnings } from "../../queries/earnings";
import { leaderForUser } from "../../queries/leader-console";
import { platformRevenue } from "../../queries/revenue";
import {
  copyStatement,
  statementAccess,
  statementCsv,
  statementFileName,
} from "../../queries/statements";
import { ownsCopy } from "../../queries/copies";
import { protectedProcedure, roleProcedure, router } from "../trpc";
import { engineCall, notFound } from "./errors";
import { inRequestTx } from "./request-tx";

/*
 * Fees: statements (the copy's follower; staff read-only, audited), a leader's earnings and
 * fee settings, the platform's revenue and settings (admins), and consent to new terms.
 */

const pct = (label: string) => textField({ label, min: 1, max: 12 });

export const leaderFeesInput = form({
  performanceFeePct: pct("Performance fee"),
  managementFeePctYear: pct("Management fee"),
  period: choiceField("Fee period", ["month", "quarter"], "month or quarter"),
});
export const platformFeesInput = form({
  platformFeeBps: pct("Platform fee"),
  platformSharePct: pct("Platform share"),
});
export const acceptTermsInput = form({ id: idField("Copy"), scheduleId: idField("Terms version") });

async function myLeader(ctx: { db: Parameters<typeof leaderForUser>[0]; viewer: { id: string } }) {
  return (
    (await leaderForUser(ctx.db, ctx.viewer.id)) ?? notFound("leader profile for this account")
  );
}

export const feesRouter = router({
  caps: protectedProcedure.query(() => FEE_CAPS),
  /** The fees a new copy of this leader agrees to (the copy flow's worked example). */
  newCopyTerms: protectedProcedure
    .input(checked(form({ leaderId: idField("Leader") })))
    .query(async ({ ctx, input }) => (await feeTermsForNewCopy(ctx.db, input.leaderId)).fees),
  statement: protectedProcedure.input(checked(copyIdInput)).query(async ({ ctx, input }) => {
    // Someone else's copy and no such copy get the same answer: ids cannot be probed.
    if (!(await statementAccess(ctx.db, ctx.viewer, input.id))) notFound("copy");
    const s = (await copyStatement(ctx.db, input.id, new Date())) ?? notFound("copy");
    if (s.followerId !== ctx.viewer.id)
      await writeAudit(ctx.db, {
        by: `user:${ctx.viewer.id}`,
        action: "staff.statement_view",
        targetType: "copy",
        targetId: input.id,
        at: new Date(),
      });
    return { ...s, readOnly: s.followerId !== ctx.viewer.id };
  }),
  /** The same statement as CSV, for the download route (app/api/statements/[id]). */
  statementCsv: protectedProcedure.input(checked(copyIdInput)).query(async ({ ctx, input }) => {
    if (!(await statementAccess(ctx.db, ctx.viewer, input.id))) notFound("copy");
    const now = new Date();
    const s = (await copyStatement(ctx.db, input.id, now)) ?? notFound("copy");
    if (s.followerId !== ctx.viewer.id)
      await writeAudit(ctx.db, {
        by: `user:${ctx.viewer.id}`,
        action: "staff.statement_download",
        targetType: "copy",
        targetId: input.id,
        at: now,
      });
    return { fileName: statementFileName(s, now), csv: statementCsv(s) };
  }),
  offer: protectedProcedure.input(checked(copyIdInput)).query(async ({ ctx, input }) => {
    if (!(await ownsCopy(ctx.db, ctx.viewer.id, input.id))) notFound("copy");
    return (await feeOffer(ctx.db, input.id)) ?? notFound("copy");
  }),
  accept: protectedProcedure.input(checked(acceptTermsInput)).mutation(async ({ ctx, input }) => {
    if (!(await ownsCopy(ctx.db, ctx.viewer.id, input.id))) notFound("copy");
    const r = await inRequestTx(ctx, (db) =>
      engineCall(() =>
        acceptFeeTerms(engineDepsForWeb(db), {
          relationshipId: input.id,
          scheduleId: input.scheduleId,
          by: `user:${ctx.viewer.id}`,
        }),
      ),
    );
    return { effectiveAt: r.effectiveAt.toISOString() };
  }),
  myFees: roleProcedure("leader").query(async ({ ctx }) => {
    const leader = await myLeader(ctx);
    const s = await latestSchedule(ctx.db, leader.id);
    const p = await platformSettings(ctx.db);
    return {
      caps: FEE_CAPS,
      version: s?.version ?? 0,
      performanceFeePct: s?.performanceFeePct ?? leader.performanceFeePct,
      managementFeePctYear: s?.managementFeePctYear ?? "0",
      period: s?.period ?? "month",
      platformFeeBps: p.platformFeeBps,
      platformSharePct: p.platformSharePct,
    };
  }),
  setMyFees: roleProcedure("leader")
    .input(checked(leaderFeesInput))
    .mutation(async ({ ctx, input }) => {
      const leader = await myLeader(ctx);
      const row = await inRequestTx(ctx, (db) =>
        engineCall(() =>
          setLeaderFees(engineDepsForWeb(db), {
            leaderId: leader.id,
            by: `user:${ctx.viewer.id}`,
            fees: input,
          }),
        ),
      );
      return { version: row.version };
    }),
  earnings: roleProcedure("leader").query(async ({ ctx }) => {
    const leader = await myLeader(ctx);
    return leaderEarnings(ctx.db, leader.id);
  }),
  revenue: roleProcedure("admin").query(({ ctx }) => platformRevenue(ctx.db)),
  setPlatformFees: roleProcedure("admin")
    .input(checked(platformFeesInput))
    .mutation(async ({ ctx, input }) => {
      const r = await inRequestTx(ctx, (db) =>
        engineCall(() =>
          setPlatformFees(engineDepsForWeb(db), { by: `user:${ctx.viewer.id}`, ...input }),
        ),
      );
      return r;
    }),
});
