import { and, asc, eq, sql } from "drizzle-orm";
import { openPaperAccount } from "../engine/copies/onboarding";
import type { Db } from "../../db/client";
import {
  accountBalances,
  brokerAccounts,
  copyPositions,
  copyRelationships,
  instruments,
} from "../../db/schema";
import { D, fmt, maxDec } from "../domain/money";

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
 * Cash that is not yet promised to a copy: account cash minus, for each running copy on the
 * account, the part of its allocation not already spent on open positions (spent money is
 * no longer in the cash, so it must not be subtracted twice). Never below zero.
 */
export async function availableToAllocate(
  db: Db,
  brokerAccountId: string,
  excludeRelationshipId?: string,
): Promise<{ cash: string; committed: string; available: string }> {
  const [bal] = await db
    .select({ cash: accountBalances.cash })
    .from(accountBalances)
    .where(eq(accountBalances.brokerAccountId, brokerAccountId));
  const rows = await db
    .select({
      id: copyRelationships.id,
      reference: copyRelationships.referenceCapital,
      spent: sql<string>`coalesce((
        select sum(abs(p.qty) * p.avg_cost * i.multiplier) from ${copyPositions} p
          join ${instruments} i on i.symbol = p.symbol
         where p.relationship_id = ${copyRelationships.id}), 0)::text`,
    })
    .from(copyRelationships)
    .where(
      and(
        eq(copyRelationships.brokerAccountId, brokerAccountId),
        sql`${copyRelationships.status} <> 'stopped'`,
      ),
    );
  let committed = D(0);
  for (const r of rows) {
    if (r.id === excludeRelationshipId) continue;
    committed = committed.plus(maxDec(0, D(r.reference).minus(r.spent)));
  }
  const cash = D(bal?.cash ?? 0);
  return {
    cash: fmt(cash),
    committed: fmt(committed),
    available: fmt(maxDec(0, cash.minus(committed))),
  };
}
