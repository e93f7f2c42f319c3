import "server-only";
import { randomUUID } from "node:crypto";
import { TRPCError } from "@trpc/server";
import { ZodError } from "zod";
import { CopyError } from "../../engine/copies/intents";
import { DomainError } from "../../domain/money";
import { describeIssues, InputError, issuesByField } from "../../domain/inputs";
import { logger } from "../../logger";

const CODES: Record<string, TRPCError["code"]> = {
  NOT_FOUND: "NOT_FOUND",
  INVALID_STATE: "CONFLICT",
  LEADER_NOT_COPYABLE: "PRECONDITION_FAILED",
  INSUFFICIENT_FUNDS: "BAD_REQUEST",
  ALREADY_COPYING: "CONFLICT",
  COPY_CYCLE: "PRECONDITION_FAILED",
  LEADER_ACCOUNT: "PRECONDITION_FAILED",
  MARKET_CLOSED: "PRECONDITION_FAILED",
  NO_PRICE: "PRECONDITION_FAILED",
};

/** PostgreSQL error codes that mean "another request got there first", not a bug. */
const UNIQUE_VIOLATION = "23505";

/** Engine and domain errors carry a code and a message a user can act on: keep both. */
export async function engineCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof DomainError && err.code === "LEADER_EQUITY_NOT_POSITIVE") {
      throw new TRPCError({
        code: "PRECONDITION_FAILED",
        message:
          "Sizing mode: this leader's account value is not on record yet, so a proportional copy cannot be sized. Choose the multiplier or fixed-amount mode, or try again later.",
        cause: err,
      });
    }
    if (err instanceof CopyError || err instanceof DomainError) {
      throw new TRPCError({
        code: CODES[err.code] ?? "BAD_REQUEST",
        message: err.message,
        cause: err,
      });
    }
    if (pgCode(err) === UNIQUE_VIOLATION && /copy_rel_one_live/.test(pgConstraint(err))) {
      throw new TRPCError({
        code: "CONFLICT",
        message: "You already copy this leader. Change the amount on that copy instead.",
        cause: err as Error,
      });
    }
    throw err;
  }
}

export function notFound(what: string): never {
  throw new TRPCError({ code: "NOT_FOUND", message: `No such ${what}.` });
}

function pgCode(err: unknown): string {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | null;
  const code = e?.code ?? e?.cause?.code;
  return typeof code === "string" ? code : "";
}

function pgConstraint(err: unknown): string {
  const e = err as { constraint_name?: unknown; cause?: { constraint_name?: unknown } } | null;
  const name = e?.constraint_name ?? e?.cause?.constraint_name;
  return typeof name === "string" ? name : "";
}

export const GENERIC_MESSAGE =
  "Something went wrong on our side. Please try again; if it keeps happening, contact support.";

type Shape = {
  message: string;
  code: number;
  data: { code: string; httpStatus: number; path?: string; stack?: string } & Record<
    string,
    unknown
  >;
};

/**
 * What a response may say about an error. Errors we raised on purpose (a TRPCError with a
 * code other than INTERNAL_SERVER_ERROR) keep their message; invalid input is described field
 * by field; everything else — a PostgreSQL error with its SQL, a decimal.js or zod error
 * class name, a stack — is logged with an id and answered with one generic sentence.
 */
export function publicError(shape: Shape, error: TRPCError) {
  const { stack: _stack, ...data } = shape.data;
  const issues =
    error.cause instanceof InputError || error.cause instanceof ZodError
      ? error.cause.issues
      : null;
  if (issues && error.code === "BAD_REQUEST") {
    return {
      ...shape,
      message: describeIssues(issues),
      data: { ...data, fieldErrors: issuesByField(issues) },
    };
  }
  // A body that is not JSON (or not superjson): the parser's own words name its internals.
  if (error.code === "PARSE_ERROR" || error.cause instanceof SyntaxError) {
    return {
      ...shape,
      message: "The request could not be read. Reload the page and try again.",
      data: { ...data, fieldErrors: null },
    };
  }
  if (error.code === "INTERNAL_SERVER_ERROR") {
    const errorId = randomUUID();
    logger.error(
      { errorId, path: shape.data.path, err: error.cause ?? error },
      "unexpected error in a tRPC call",
    );
    return {
      ...shape,
      message: GENERIC_MESSAGE,
      data: { ...data, fieldErrors: null, errorId },
    };
  }
  // A refusal the UI acts on (step-up: "confirm with your code") names itself in data.reasonCode.
  const publicCode = (error.cause as { publicCode?: unknown } | undefined)?.publicCode;
  const reasonCode = typeof publicCode === "string" ? publicCode : undefined;
  return { ...shape, data: { ...data, fieldErrors: null, ...(reasonCode ? { reasonCode } : {}) } };
}
