import "server-only";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { API_SCOPES } from "../../../db/schema";
import { requireStepUp } from "../../auth/step-up";
import { checked, flagField, form, idField, textField } from "../../domain/inputs";
import {
  apiOrderTypes,
  ApiKeyError,
  createApiKey,
  listApiKeys,
  revokeApiKey,
  setApiLimitOrders,
} from "../../strategy-api/keys";
import { roleProcedure, router } from "../trpc";
import { inRequestTx } from "./request-tx";

const leaderProcedure = roleProcedure("leader");

const CODES = { NOT_FOUND: "NOT_FOUND", TOO_MANY: "CONFLICT", INVALID_STATE: "CONFLICT" } as const;

async function keyCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ApiKeyError)
      throw new TRPCError({ code: CODES[err.code], message: err.message, cause: err });
    throw err;
  }
}

export const createKeyInput = form({
  label: textField({ label: "Name", max: 60 }),
  scopes: z
    .array(z.enum(API_SCOPES, { error: "Scopes: choose trade and/or read" }), {
      error: "Scopes: choose trade and/or read",
    })
    .min(1, { error: "Scopes: choose at least one (trade places orders, read reads them)" })
    .max(2, { error: "Scopes: choose trade and/or read" }),
});

/** The leader console's API keys: created (with step-up), listed, revoked; limit orders on/off. */
export const apiKeysRouter = router({
  list: leaderProcedure.query(async ({ ctx }) => ({
    keys: await listApiKeys(ctx.db, ctx.viewer.id),
    ...(await keyCall(() => apiOrderTypes(ctx.db, ctx.viewer.id))),
  })),
  create: leaderProcedure.input(checked(createKeyInput)).mutation(async ({ ctx, input }) => {
    // A key trades without a session or a second factor: creating one is a high-risk action.
    await requireStepUp(ctx, "api_key.create");
    // The secret is in this answer only; it is sealed at rest and never shown again.
    return inRequestTx(ctx, (db) =>
      keyCall(() =>
        createApiKey(db, { userId: ctx.viewer.id, label: input.label, scopes: input.scopes }),
      ),
    );
  }),
  revoke: leaderProcedure
    .input(checked(form({ id: idField("API key") })))
    .mutation(async ({ ctx, input }) =>
      inRequestTx(ctx, (db) =>
        keyCall(() => revokeApiKey(db, { userId: ctx.viewer.id, id: input.id })),
      ),
    ),
  setLimitOrders: leaderProcedure
    .input(checked(form({ allowed: flagField("Limit orders") })))
    .mutation(async ({ ctx, input }) =>
      inRequestTx(ctx, (db) =>
        keyCall(() => setApiLimitOrders(db, { userId: ctx.viewer.id, allowed: input.allowed })),
      ),
    ),
});
