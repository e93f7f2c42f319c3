import { asc, eq, isNull } from "drizzle-orm";
import { brokerAccounts, brokerTransfers } from "../../../db/schema";
import type { PaperBroker } from "../../brokers/paper";
import type { EngineDeps } from "../deps";

/**
 * Carries out at the paper broker the transfers the web app recorded: the first one opens
 * the account. (A real broker's transfers happen outside Tandem; reconciliation sees them.)
 */
export async function applyPaperTransfers(deps: EngineDeps, paper: PaperBroker): Promise<number> {
  const due = await deps.db
    .select({
      t: brokerTransfers,
      externalId: brokerAccounts.externalId,
      currency: brokerAccounts.currency,
    })
    .from(brokerTransfers)
    .innerJoin(brokerAccounts, eq(brokerAccounts.id, brokerTransfers.brokerAccountId))
    .where(isNull(brokerTransfers.appliedAt))
    .orderBy(asc(brokerTransfers.createdAt));
  for (const { t, externalId, currency } of due) {
    const opened = await paper.openAccount({ accountId: externalId, cash: t.amount, currency });
    if (!opened) await paper.deposit(externalId, t.amount);
    await deps.db
      .update(brokerTransfers)
      .set({ appliedAt: deps.clock.now() })
      .where(eq(brokerTransfers.id, t.id));
  }
  return due.length;
}
