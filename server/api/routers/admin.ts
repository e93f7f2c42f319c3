import "server-only";
import { TRPCError } from "@trpc/server";
import { closeBreaker, openBreaker } from "../../engine/risk/breakers";
import { traceOrder } from "../../engine/ops/trace";
import { systemClock } from "../../domain/clock";
import { choiceField, form, idField, textField, checked } from "../../domain/inputs";
import { auditLog } from "../../../db/schema";
import { adminOverview, listBreakers, recentReconciliations } from "../../queries/admin";
import { auditActions, auditSearchInput, searchAudit } from "../../queries/audit";
import { breakerChoices, customerCopy, staffSearch } from "../../queries/staff";
import { requireStepUp } from "../../auth/step-up";
import { roleProcedure, router } from "../trpc";
import { engineCall } from "./errors";
import { inRequestTx } from "./request-tx";

const staff = roleProcedure("admin", "support");
const admin = roleProcedure("admin");

export const openBreakerInput = form({
  scope: choiceField("Scope", ["global", "leader", "instrument", "broker"]),
  key: textField({ label: "Key", max: 100 }).default("*"),
  reason: textField({ label: "Reason", min: 3, max: 200 }),
});

export const adminRouter = router({
  overview: staff.query(({ ctx }) => adminOverview(ctx.db)),
  breakers: staff.query(({ ctx }) => listBreakers(ctx.db)),
  reconciliations: staff.query(({ ctx }) => recentReconciliations(ctx.db)),
  /**
   * Support's "why": a follower order traced back to the leader fill that caused it. Looking
   * at someone's trades is itself recorded: who looked, for what, and whether it was found.
   */
  trace: staff
    .input(
      checked(
        form({
          ref: textField({ label: "Client order id or order id", min: 1, max: 200 }),
        }),
      ),
    )
    .query(async ({ ctx, input }) => {
      const found = await inRequestTx(ctx, async (db) => {
        const result = await traceOrder(db, input.ref);
        await db.insert(auditLog).values({
          actorUserId: ctx.viewer.id,
          action: "staff.trace",
          targetType: "order",
          targetId: result?.order.id ?? null,
          details: { ref: input.ref, found: Boolean(result) },
        });
        return result;
      });
      if (!found) throw new TRPCError({ code: "NOT_FOUND", message: `No order ${input.ref}.` });
      return found;
    }),
  /** The audit log, searchable by who, what and when; support reads it, nobody edits it. */
  audit: staff
    .input(checked(auditSearchInput))
    .query(({ ctx, input }) => searchAudit(ctx.db, input)),
  auditActions: staff.query(({ ctx }) => auditActions(ctx.db)),
  /** Real leaders, instruments and brokers to open a breaker on (never a typed key). */
  breakerChoices: staff.query(({ ctx }) => breakerChoices(ctx.db)),
  /** Staff search: people (with their copies), leaders, orders, fills. */
  search: staff
    .input(checked(form({ q: textField({ label: "Search", min: 2, max: 200 }) })))
    .query(({ ctx, input }) => staffSearch(ctx.db, input.q)),
  /** A customer's copy, read-only, for support; every look-up is audited. */
  customerCopy: staff
    .input(checked(form({ id: idField("Copy") })))
    .query(async ({ ctx, input }) => {
      const found = await customerCopy(ctx.db, ctx.viewer.id, input.id);
      if (!found) throw new TRPCError({ code: "NOT_FOUND", message: "No such copy." });
      return found;
    }),
  openBreaker: admin.input(checked(openBreakerInput)).mutation(async ({ ctx, input }) => {
    if (input.scope !== "global" && (!input.key || input.key === "*")) {
      throw new TRPCError({
        code: "BAD_REQUEST",
        message: "key: name the leader id, symbol or broker.",
      });
    }
    await requireStepUp(ctx, "breaker.open");
    // openBreaker refuses a key that names no leader, instrument or broker.
    const id = await inRequestTx(ctx, (db) =>
      engineCall(() =>
        openBreaker(
          { db, clock: systemClock },
          { ...input, by: `admin:${ctx.viewer.email}`, actorUserId: ctx.viewer.id },
        ),
      ),
    );
    return { id, alreadyOpen: id === null };
  }),
  closeBreaker: admin
    .input(checked(form({ id: idField("Breaker") })))
    .mutation(async ({ ctx, input }) => {
      await requireStepUp(ctx, "breaker.close");
      const closed = await inRequestTx(ctx, (db) =>
        closeBreaker(
          { db, clock: systemClock },
          input.id,
          `admin:${ctx.viewer.email}`,
          ctx.viewer.id,
        ),
      );
      if (!closed)
        throw new TRPCError({ code: "NOT_FOUND", message: "No open breaker with that id." });
      return { closed };
    }),
});
