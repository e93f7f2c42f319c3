import "server-only";
import { TRPCError } from "@trpc/server";
import { and, desc, eq } from "drizzle-orm";
import { leaders, whatIfRuns } from "../../../db/schema";
import {
  checked,
  choiceField,
  copyIdInput,
  decimalField,
  form,
  idField,
  riskLimitsInput,
  sizingInput,
} from "../../domain/inputs";
import { writeAudit } from "../../engine/copies/intents";
import type { WhatIfSettings } from "../../engine/whatif/run";
import { ownsCopy } from "../../queries/copies";
import { growthVsLeader, whyDifferent } from "../../queries/why-different";
import { protectedProcedure, router } from "../trpc";
import { notFound } from "./errors";

/** Fee fields a what-if may try, within the platform's caps (issue 10). */
const feeInput = form({
  performanceFeePct: decimalField({
    label: "Performance fee",
    example: "20",
    min: "0",
    max: "30",
    decimals: 2,
    unit: " %",
  }).nullable(),
  managementFeePctYear: decimalField({
    label: "Management fee",
    example: "2",
    min: "0",
    max: "3",
    decimals: 2,
    unit: " % a year",
  }).nullable(),
  platformFeeBps: decimalField({
    label: "Platform fee",
    example: "5",
    min: "0",
    max: "100",
    decimals: 2,
    unit: " bp",
  }).nullable(),
});

export const whatIfStartInput = form({
  leaderId: idField("Leader"),
  days: choiceField("Period", ["30", "90", "180"], "30, 90 or 180 days"),
  sizing: sizingInput,
  limits: riskLimitsInput,
  onInsufficientFunds: choiceField(
    "When funds run short",
    ["reduce", "skip"],
    "reduce or skip",
  ).default("reduce"),
  fees: feeInput,
});

const runIdInput = form({ id: idField("Run") });
const leaderIdInput = form({ leaderId: idField("Leader") });

function view(r: typeof whatIfRuns.$inferSelect) {
  return {
    id: r.id,
    leaderId: r.leaderId,
    days: r.days,
    status: r.status,
    progress: r.progress,
    error: r.error,
    settings: r.settings as unknown as WhatIfSettings,
    result: r.result,
    createdAt: r.createdAt,
    finishedAt: r.finishedAt,
  };
}

export const whatIfRouter = router({
  /**
   * "Why my numbers differ" for one copy, with the "you vs the leader" growth: its follower,
   * or staff (support reads copy pages too); anyone else gets the same "not found".
   */
  whyDifferent: protectedProcedure.input(checked(copyIdInput)).query(async ({ ctx, input }) => {
    const staff = ctx.viewer.role === "admin" || ctx.viewer.role === "support";
    if (!staff && !(await ownsCopy(ctx.db, ctx.viewer.id, input.id))) notFound("copy");
    const why = await whyDifferent(ctx.db, input.id);
    if (!why) notFound("copy");
    return { why, growth: await growthVsLeader(ctx.db, input.id, why) };
  }),

  /** Records a run for the worker (ADR 0002); one queued or running run per user. */
  start: protectedProcedure.input(whatIfStartInput).mutation(async ({ ctx, input }) => {
    const [leader] = await ctx.db.select().from(leaders).where(eq(leaders.id, input.leaderId));
    if (!leader) notFound("leader");
    const s = input.sizing;
    const settings: WhatIfSettings = {
      amount: s.amount,
      mode: s.mode,
      factor: s.mode === "multiplier" ? s.factor : null,
      notional: s.mode === "fixed_notional" ? s.notional : null,
      onInsufficientFunds: input.onInsufficientFunds,
      limits: input.limits,
      fees: input.fees,
    };
    try {
      return await ctx.db.transaction(async (tx) => {
        const [run] = await tx
          .insert(whatIfRuns)
          .values({
            userId: ctx.viewer.id,
            leaderId: leader!.id,
            days: Number(input.days),
            settings,
          })
          .returning();
        await writeAudit(tx, {
          by: `user:${ctx.viewer.id}`,
          action: "whatif.start",
          targetType: "leader",
          targetId: leader!.id,
          details: { run: run!.id, days: run!.days, settings },
          at: new Date(),
        });
        return view(run!);
      });
    } catch (err) {
      // The partial unique index is the check: two tabs cannot both start a run.
      const code = (err as { code?: string; cause?: { code?: string } }).cause?.code;
      if (code === "23505" || (err as { code?: string }).code === "23505")
        throw new TRPCError({
          code: "CONFLICT",
          message: "You already have a what-if running. Wait for it to finish, then run another.",
        });
      throw err;
    }
  }),

  /** One of the caller's own runs (the page polls it for progress). */
  run: protectedProcedure.input(runIdInput).query(async ({ ctx, input }) => {
    const [r] = await ctx.db
      .select()
      .from(whatIfRuns)
      .where(and(eq(whatIfRuns.id, input.id), eq(whatIfRuns.userId, ctx.viewer.id)));
    return r ? view(r) : notFound("run");
  }),

  /** The caller's latest run for a leader, so the page shows it again after a reload. */
  latest: protectedProcedure.input(leaderIdInput).query(async ({ ctx, input }) => {
    const [r] = await ctx.db
      .select()
      .from(whatIfRuns)
      .where(and(eq(whatIfRuns.leaderId, input.leaderId), eq(whatIfRuns.userId, ctx.viewer.id)))
      .orderBy(desc(whatIfRuns.createdAt))
      .limit(1);
    return r ? view(r) : null;
  }),
});
