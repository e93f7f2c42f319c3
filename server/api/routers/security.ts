import "server-only";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { auditLog } from "../../../db/schema";
import { secretBox } from "../../brokers/alpaca/accounts";
import {
  factorSummary,
  listPasskeys,
  mustEnrolSecondFactor,
  removeSecondFactor,
  pendingSignInPasskeyOptions,
  proveForStepUp,
  SecondFactorError,
  SECOND_FACTOR_ROLES,
} from "../../auth/mfa";
import {
  passkeyAuthenticationOptions,
  passkeyRegistrationOptions,
  relyingParty,
  verifyPasskeyRegistration,
} from "../../auth/passkeys";
import { issueRecoveryCodes, recoveryCodesLeft } from "../../auth/recovery-codes";
import {
  recordSecondFactorProof,
  requireStepUp,
  secondFactorProvenAt,
  stepUpWindowMinutes,
} from "../../auth/step-up";
import { beginTotpEnrolment, verifyUserTotp } from "../../auth/totp";
import { protectedProcedure, publicProcedure, router } from "../trpc";
import { inRequestTx } from "./request-tx";
import { checked, choiceField, form, textField } from "../../domain/inputs";

/** The relying party: NEXTAUTH_URL (the launcher always sets it), else localhost. */
const rp = () => relyingParty(null, null);

const codeInput = form({
  code: z
    .string({ error: "Code: enter the 6 digits from your authenticator app" })
    .trim()
    .min(6, "Code: enter the 6 digits from your authenticator app")
    .max(40, "Code: that is too long"),
});
// A passkey answer is the browser's JSON; @simplewebauthn checks every field of it.
const passkeyAnswer = z.record(z.string(), z.unknown());

/**
 * Second factors of the signed-in user (docs/adr/0050): enrol an authenticator app (with
 * recovery codes shown once) or a passkey, and re-prove one for a high-risk action.
 */
export const securityRouter = router({
  status: protectedProcedure.query(async ({ ctx }) => {
    const f = await factorSummary(ctx.db, ctx.viewer.id);
    const provenAt = await secondFactorProvenAt(ctx.db, ctx.viewer.sessionId);
    return {
      ...f,
      passkeyList: await listPasskeys(ctx.db, ctx.viewer.id),
      required: SECOND_FACTOR_ROLES.includes(ctx.viewer.role),
      mustEnrol: await mustEnrolSecondFactor(ctx.db, ctx.viewer),
      provenAt,
      stepUpMinutes: stepUpWindowMinutes(),
    };
  }),

  /** Step 1 of an authenticator app: a new secret (shown as a QR link and as text). */
  beginTotp: protectedProcedure.mutation(async ({ ctx }) => {
    const started = await beginTotpEnrolment(ctx.db, secretBox(), ctx.viewer);
    if (!started)
      throw new TRPCError({
        code: "CONFLICT",
        message: "An authenticator app is already set up for this account.",
      });
    return started;
  }),

  /**
   * Step 2: the first code confirms the app; ten recovery codes come back, the only time they
   * are ever shown. This session counts as having proved the factor.
   */
  confirmTotp: protectedProcedure.input(codeInput).mutation(async ({ ctx, input }) => {
    const ok = await verifyUserTotp(ctx.db, secretBox(), ctx.viewer.id, input.code, {
      confirming: true,
    });
    if (!ok)
      throw new TRPCError({
        code: "BAD_REQUEST",
        message:
          "Code: that is not the current code from your authenticator app. Try the next one.",
      });
    return inRequestTx(ctx, async (db) => {
      const codes = await issueRecoveryCodes(db, ctx.viewer.id);
      if (ctx.viewer.sessionId) await recordSecondFactorProof(db, ctx.viewer.sessionId, "totp");
      await db.insert(auditLog).values({
        actorUserId: ctx.viewer.id,
        action: "user.mfa_enrolled",
        targetType: "user",
        targetId: ctx.viewer.id,
        details: { method: "totp" },
      });
      return { recoveryCodes: codes };
    });
  }),

  /** New recovery codes (the old ones stop working); needs a fresh second factor. */
  regenerateRecoveryCodes: protectedProcedure.input(codeInput).mutation(async ({ ctx, input }) => {
    const method = await proveForStepUp(ctx.db, secretBox(), rp(), ctx.viewer, input, ctx.client);
    if (!method || method === "recovery_code")
      throw new TRPCError({
        code: "BAD_REQUEST",
        message: "Code: enter the current code from your authenticator app.",
      });
    return inRequestTx(ctx, async (db) => {
      const codes = await issueRecoveryCodes(db, ctx.viewer.id);
      await db.insert(auditLog).values({
        actorUserId: ctx.viewer.id,
        action: "user.recovery_codes_regenerated",
        targetType: "user",
        targetId: ctx.viewer.id,
      });
      return { recoveryCodes: codes };
    });
  }),

  passkeyRegistrationOptions: protectedProcedure.mutation(({ ctx }) =>
    passkeyRegistrationOptions(ctx.db, rp(), ctx.viewer),
  ),

  registerPasskey: protectedProcedure
    .input(
      form({
        response: passkeyAnswer,
        label: z.string().trim().max(60, "Name: at most 60 characters").default("Passkey"),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const ok = await verifyPasskeyRegistration(
        ctx.db,
        rp(),
        ctx.viewer.id,
        input.response as never,
        input.label,
      );
      if (!ok)
        throw new TRPCError({
          code: "BAD_REQUEST",
          message: "Passkey: the browser's answer did not check out. Try again.",
        });
      return inRequestTx(ctx, async (db) => {
        if (ctx.viewer.sessionId)
          await recordSecondFactorProof(db, ctx.viewer.sessionId, "passkey");
        // A first factor gets its recovery codes too: losing the only passkey must not lock you out.
        const recoveryCodes =
          (await recoveryCodesLeft(db, ctx.viewer.id)) === 0
            ? await issueRecoveryCodes(db, ctx.viewer.id)
            : null;
        await db.insert(auditLog).values({
          actorUserId: ctx.viewer.id,
          action: "user.mfa_enrolled",
          targetType: "user",
          targetId: ctx.viewer.id,
          details: { method: "passkey" },
        });
        return { recoveryCodes };
      });
    }),

  /**
   * Removes a passkey or the authenticator app: a step-up action (a stolen cookie must not
   * strip the account's factors), audited; a leader's or staff member's last factor stays.
   */
  removeFactor: protectedProcedure
    .input(
      checked(
        form({
          kind: choiceField("Factor", ["totp", "passkey"], "the authenticator app or a passkey"),
          id: textField({ label: "Passkey", min: 1, max: 512 }).optional(),
        }),
      ),
    )
    .mutation(async ({ ctx, input }) => {
      if (input.kind === "passkey" && !input.id)
        throw new TRPCError({
          code: "BAD_REQUEST",
          message: "Passkey: choose which one to remove.",
        });
      await requireStepUp(ctx, "second_factor.remove");
      const result = await inRequestTx(ctx, (db) =>
        removeSecondFactor(
          db,
          ctx.viewer,
          input.kind === "totp" ? { kind: "totp" } : { kind: "passkey", id: input.id! },
        ),
      );
      if (result === "not_found")
        throw new TRPCError({
          code: "NOT_FOUND",
          message:
            input.kind === "totp"
              ? "Factor: no authenticator app is set up."
              : "Passkey: no such passkey on your account.",
        });
      if (result === "last_required")
        throw new TRPCError({
          code: "PRECONDITION_FAILED",
          message:
            "Factor: it is your only second factor, and leaders, support and admins must keep one. Add another (a passkey or an authenticator app) first, then remove this one.",
        });
      return { ok: true };
    }),

  /** "Confirm it's you" with a code (authenticator or recovery). */
  stepUp: protectedProcedure.input(codeInput).mutation(async ({ ctx, input }) => {
    const method = await proveForStepUp(ctx.db, secretBox(), rp(), ctx.viewer, input, ctx.client);
    if (!method)
      throw new TRPCError({
        code: "BAD_REQUEST",
        message:
          "Code: that is not the current code from your authenticator app, nor an unused recovery code.",
      });
    return { method };
  }),

  stepUpPasskeyOptions: protectedProcedure.mutation(async ({ ctx }) => {
    const options = await passkeyAuthenticationOptions(
      ctx.db,
      rp(),
      ctx.viewer.id,
      "passkey_step_up",
    );
    if (!options)
      throw new TRPCError({ code: "PRECONDITION_FAILED", message: "You have no passkey yet." });
    return options;
  }),

  stepUpPasskey: protectedProcedure
    .input(form({ response: passkeyAnswer }))
    .mutation(async ({ ctx, input }) => {
      const method = await proveForStepUp(
        ctx.db,
        secretBox(),
        rp(),
        ctx.viewer,
        { passkey: input.response as never },
        ctx.client,
      );
      if (!method)
        throw new TRPCError({
          code: "BAD_REQUEST",
          message: "Passkey: the browser's answer did not check out. Try again.",
        });
      return { method };
    }),

  /** Passkey options for the second step of a sign-in (no session yet: the pending token is the key). */
  signInPasskeyOptions: publicProcedure
    .input(
      form({
        pending: z
          .string({ error: "Sign-in: start again from the password" })
          .max(64, "Sign-in: start again from the password"),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      try {
        const options = await pendingSignInPasskeyOptions(ctx.db, rp(), input.pending);
        if (!options)
          throw new TRPCError({
            code: "PRECONDITION_FAILED",
            message: "This account has no passkey: enter a code instead.",
          });
        return options;
      } catch (err) {
        if (err instanceof SecondFactorError)
          throw new TRPCError({ code: "UNAUTHORIZED", message: err.message });
        throw err;
      }
    }),
});
