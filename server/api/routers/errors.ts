import { TRPCError } from "@trpc/server";
import { CopyError } from "../../engine/copies/intents";
import { DomainError } from "../../domain/money";

const CODES: Record<string, TRPCError["code"]> = {
  NOT_FOUND: "NOT_FOUND",
  INVALID_STATE: "CONFLICT",
  LEADER_NOT_COPYABLE: "PRECONDITION_FAILED",
  INSUFFICIENT_FUNDS: "BAD_REQUEST",
};

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
    throw err;
  }
}

export function notFound(what: string): never {
  throw new TRPCError({ code: "NOT_FOUND", message: `No such ${what}.` });
}
