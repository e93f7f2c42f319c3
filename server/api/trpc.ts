import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import type { Db } from "../../db/client";
import type { UserRole } from "../../db/schema";
import type { ClientInfo } from "../auth/client-info";
import { SECOND_FACTOR_ROLES } from "../auth/mfa";
import { mutationLimitsFor, RateLimited, type MutationLimits } from "../auth/rate-limits";
import type { Viewer } from "../auth/session";
import { hasAnyFactor, SecondFactorNotEnrolled } from "../auth/step-up";
import { publicError } from "./routers/errors";

export type Context = {
  db: Db;
  viewer: Viewer | null;
  /** The caller's address and user agent (HTTP requests); absent for in-process callers. */
  client?: ClientInfo;
  /** Abuse limits on mutations; defaults to the shared PostgreSQL-backed ones. */
  rateLimits?: MutationLimits;
};

const t = initTRPC.context<Context>().create({
  transformer: superjson,
  // Nothing internal (SQL, stacks, library names) leaves the server: see publicError.
  errorFormatter: ({ shape, error }) => publicError(shape, error),
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
/** Every mutation counts against per-user and per-address limits (server/auth/rate-limits.ts). */
const abuseLimits = t.middleware(async ({ ctx, type, path, next }) => {
  if (type === "mutation") {
    const limits = ctx.rateLimits ?? mutationLimitsFor(ctx.db);
    try {
      await limits.check({ path, userId: ctx.viewer?.id ?? null, ip: ctx.client?.ip ?? null });
    } catch (err) {
      if (err instanceof RateLimited)
        throw new TRPCError({ code: "TOO_MANY_REQUESTS", message: err.message, cause: err });
      throw err;
    }
  }
  const res = await next();
  // A limit met inside a procedure (wrong step-up codes) is a 429 in words too, not a 500.
  if (!res.ok && res.error.cause instanceof RateLimited)
    throw new TRPCError({
      code: "TOO_MANY_REQUESTS",
      message: res.error.cause.message,
      cause: res.error.cause,
    });
  return res;
});

export const publicProcedure = t.procedure.use(abuseLimits);

export const protectedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.viewer) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in to continue." });
  return next({ ctx: { ...ctx, viewer: ctx.viewer } });
});

/**
 * A role's procedures. Leaders, support and admins also need an enrolled second factor
 * (docs/adr/0050): the console pages send them to /security first, and this check keeps the
 * API from being used around that page gate (reasonCode SECOND_FACTOR_REQUIRED).
 */
export const roleProcedure = (...roles: UserRole[]) =>
  protectedProcedure.use(async ({ ctx, next }) => {
    if (!roles.includes(ctx.viewer.role)) {
      throw new TRPCError({
        code: "FORBIDDEN",
        message: `This needs the ${roles.join(" or ")} role.`,
      });
    }
    // One query per call (consoles poll): a confirmed authenticator app or a passkey.
    if (
      SECOND_FACTOR_ROLES.includes(ctx.viewer.role) &&
      !(await hasAnyFactor(ctx.db, ctx.viewer.id))
    ) {
      const message =
        "Set up a second factor first: add an authenticator app or a passkey on the Security page.";
      throw new TRPCError({
        code: "FORBIDDEN",
        message,
        cause: new SecondFactorNotEnrolled(message),
      });
    }
    return next({ ctx });
  });
