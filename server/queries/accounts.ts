import "server-only";
import { asc, eq } from "drizzle-orm";
import { uncommittedFunds } from "../engine/copies/intents";
import { openPaperAccount } from "../engine/copies/onboarding";
import type { Db } from "../../db/client";
import { accountBalances, brokerAccounts } from "../../db/schema";

/** The caller's trading account (the first one opened) with its cash, or null. */
export async function primaryAccount(db: Db, userId: string) {
  const [row] = await db
    .select({
      id: brokerAccounts.id,
      broker: brokerAccounts.broker,
      label: brokerAccounts.label,
      currency: brokerAccounts.currency,
      cash: accountBalances.cash,
    })
    .from(brokerAccounts)
    .leftJoin(accountBalances, eq(accountBalances.brokerAccountId, brokerAccounts.id))
    .where(eq(brokerAccounts.userId, userId))
    .orderBy(asc(brokerAccounts.createdAt), asc(brokerAccounts.id))
    .limit(1);
  if (!row) return null;
  return { ...row, cash: row.cash ?? "0" };
}

/**
 * The caller's paper account, opened on first use. Opening it only records the account;
 * the worker opens it at the broker (and mirrors deposits) before it trades.
 */
export async function ensureAccount(db: Db, userId: string) {
  const existing = await primaryAccount(db, userId);
  if (existing) return existing;
  // Same as at sign-up: a funded demo account, opened at the paper broker by the worker.
  await openPaperAccount(db, userId);
  return (await primaryAccount(db, userId))!;
}

/**
 * Cash that is not yet promised to a copy (see `uncommittedFunds`): shown to people and used for
 * early, friendly refusals. The writes that depend on it check it again under the balance row
 * lock (startCopy, setAllocation, recordFunding), so a race cannot get past it.
 */
export async function availableToAllocate(
  db: Db,
  brokerAccountId: string,
  excludeRelationshipId?: string,
): Promise<{ cash: string; committed: string; available: string }> {
  return uncommittedFunds(db, brokerAccountId, excludeRelationshipId);
}
