import "server-only";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { checked, choiceField, form, idField, symbolField, textField } from "../../domain/inputs";
import {
  ApplicationError,
  applicableAccounts,
  applicationForReview,
  applyToLead,
  decideApplication,
  listApplications,
  myApplications,
  withdrawApplication,
} from "../../queries/applications";
import { inRequestTx } from "./request-tx";
import { protectedProcedure, roleProcedure, router } from "../trpc";

const staff = roleProcedure("admin", "support");

export const applyInput = form({
  displayName: textField({ label: "Display name", min: 2, max: 60 }),
  handle: z
    .string({ error: "Handle: enter one" })
    .trim()
    .toLowerCase()
    .regex(/^[a-z0-9][a-z0-9-]{2,29}$/, {
      error: "Handle: 3 to 30 letters, digits or dashes, starting with a letter or digit",
    }),
  strategy: textField({ label: "Strategy", min: 20, max: 2000, multiline: true }),
  instruments: z
    .array(symbolField, { error: "Instruments: choose at least one" })
    .min(1, "Instruments: choose at least one")
    .max(50, "Instruments: at most 50"),
  brokerAccountId: idField("Trading account"),
});

export const decideInput = form({
  id: idField("Application"),
  decision: choiceField("Decision", ["approve", "refuse"]),
  reason: textField({ label: "Reason", min: 5, max: 500, multiline: true }),
});

/** Application errors carry words for the user; map their codes onto tRPC's. */
async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ApplicationError)
      throw new TRPCError({ code: err.code, message: err.message, cause: err });
    throw err;
  }
}

export const applicationsRouter = router({
  /** The applicant's side: their accounts to choose from and their applications so far. */
  mine: protectedProcedure.query(async ({ ctx }) => ({
    role: ctx.viewer.role,
    accounts: await applicableAccounts(ctx.db, ctx.viewer.id),
    applications: await myApplications(ctx.db, ctx.viewer.id),
  })),
  submit: protectedProcedure
    .input(checked(applyInput))
    .mutation(({ ctx, input }) =>
      call(() => inRequestTx(ctx, (db) => applyToLead(db, ctx.viewer, input))),
    ),
  /** The applicant withdraws their own application while it is still pending. */
  withdraw: protectedProcedure
    .input(checked(form({ id: idField("Application") })))
    .mutation(({ ctx, input }) =>
      call(() => inRequestTx(ctx, (db) => withdrawApplication(db, ctx.viewer, input.id))),
    ),
  list: staff
    .input(checked(form({ status: choiceField("Status", ["pending", "all"]).default("pending") })))
    .query(({ ctx, input }) => listApplications(ctx.db, input.status)),
  get: staff.input(checked(form({ id: idField("Application") }))).query(async ({ ctx, input }) => {
    const row = await applicationForReview(ctx.db, input.id);
    if (!row) throw new TRPCError({ code: "NOT_FOUND", message: "No such application." });
    return row;
  }),
  decide: staff
    .input(checked(decideInput))
    .mutation(({ ctx, input }) =>
      call(() => inRequestTx(ctx, (db) => decideApplication(db, ctx.viewer, input))),
    ),
});
