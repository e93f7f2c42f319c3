import { eq, sql } from "drizzle-orm";
import { accountBalances, brokerAccounts, brokerTransfers, leaders } from "../../../db/schema";
import { D, fmt, parseDecimal } from "../../domain/money";
import { uncommittedFunds, CopyError, writeAudit } from "../copies/intents";
import type { EngineDeps } from "../deps";
import { appendLeaderCash } from "../ingest/leader-events";
import { cashAccount, externalFunding, postJournal } from "./ledger";
import { accountStream, appendEvents } from "../core/streams";

/**
 * Records a deposit (positive) or withdrawal on an account's books, as a balanced journal
 * against the outside world. A withdrawal larger than the cash is refused and changes
 * nothing; with `respectAllocations` (the web) so is one larger than the cash not promised
 * to the account's copies — checked after the balance row is locked, so parallel
 * withdrawals and copy starts are serialized and cannot together spend the same money. Moving the money at the broker is the caller's side (the paper broker's
 * `deposit`, or the real transfer that reconciliation will then see).
 */
export async function recordFunding(
  deps: EngineDeps,
  input: {
    brokerAccountId: string;
    amount: string;
    by: string;
    transferAtBroker?: boolean;
    respectAllocations?: boolean;
  },
): Promise<string> {
  const amount = parseDecimal(input.amount, "amount");
  if (amount.isZero()) throw new CopyError("INVALID_AMOUNT", "amount: must not be zero.");
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const [acct] = await tx
      .select()
      .from(brokerAccounts)
      .where(eq(brokerAccounts.id, input.brokerAccountId));
    if (!acct) throw new CopyError("NOT_FOUND", "No such account.");
    await tx
      .insert(accountBalances)
      .values({ brokerAccountId: acct.id, currency: acct.currency, cash: "0", updatedAt: now })
      .onConflictDoNothing();
    const [bal] = await tx
      .select()
      .from(accountBalances)
      .where(eq(accountBalances.brokerAccountId, acct.id))
      .for("update");
    const after = D(bal!.cash).plus(amount);
    if (after.isNeg())
      throw new CopyError(
        "INSUFFICIENT_FUNDS",
        `amount: you can withdraw at most ${fmt(bal!.cash)} ${acct.currency}.`,
      );
    if (amount.isNeg() && input.respectAllocations) {
      const funds = await uncommittedFunds(tx, acct.id);
      if (amount.neg().gt(funds.available))
        throw new CopyError(
          "INSUFFICIENT_FUNDS",
          `Amount: you can withdraw at most ${funds.available} ${acct.currency}; the rest is allocated to your copies. Lower a copy's amount first.`,
        );
    }
    await tx
      .update(accountBalances)
      .set({ cash: sql`${accountBalances.cash} + ${fmt(amount)}::numeric`, updatedAt: now })
      .where(eq(accountBalances.brokerAccountId, acct.id));
    await postJournal(
      tx,
      {
        kind: amount.isPos() ? "deposit" : "withdrawal",
        description: `${amount.isPos() ? "deposit" : "withdrawal"} ${fmt(amount.abs())} ${acct.currency}`,
        currency: acct.currency,
        at: now,
      },
      [
        { code: cashAccount(acct.id), amount: fmt(amount), ownerUserId: acct.userId },
        { code: externalFunding(acct.broker), amount: fmt(amount.neg()) },
      ],
    );
    // A leader's own money changes leader equity: proportional followers are re-sized from
    // it in the leader's stream, in the same transaction as the funding itself.
    const [leader] = await tx
      .select({ id: leaders.id })
      .from(leaders)
      .where(eq(leaders.brokerAccountId, acct.id));
    if (leader) await appendLeaderCash(deps, tx, leader.id, fmt(amount), now);
    if (input.transferAtBroker) {
      // The worker moves the money at the broker (the web never calls one).
      await tx
        .insert(brokerTransfers)
        .values({ brokerAccountId: acct.id, amount: fmt(amount), createdAt: now });
    }
    await appendEvents(tx, [
      {
        stream: accountStream(acct.id),
        type: amount.isPos() ? "deposit" : "withdrawal",
        payload: { amount: fmt(amount), by: input.by },
        at: now,
      },
    ]);
    await writeAudit(tx, {
      by: input.by,
      action: amount.isPos() ? "account.deposit" : "account.withdraw",
      targetType: "account",
      targetId: acct.id,
      details: { amount: fmt(amount.abs()), currency: acct.currency, cashAfter: fmt(after) },
      at: now,
    });
    return fmt(after);
  });
}
