import { sql } from "drizzle-orm";
import { journals, ledgerAccounts, postings } from "../../../db/schema";
import {
  assertBalanced,
  brokerCommissions,
  brokerSettlement,
  cashAccount,
  externalFunding,
} from "../../domain/bookkeeping";
import { D, fmt } from "../../domain/money";
import type { Executor } from "../core/streams";

export type Posting = { code: string; amount: string; ownerUserId?: string | null };

/**
 * Writes one balanced journal. Refuses one that does not sum to zero: the ledger is the
 * record of where every unit of money went, so an unbalanced entry is a bug, not data.
 */
export async function postJournal(
  tx: Executor,
  j: {
    kind: string;
    description: string;
    currency: string;
    at: Date;
    correlationId?: string | null;
    orderId?: string | null;
    relationshipId?: string | null;
  },
  lines: Posting[],
): Promise<void> {
  const nonZero = lines.filter((l) => !D(l.amount).isZero());
  if (nonZero.length === 0) return;
  assertBalanced({ kind: j.kind, currency: j.currency, lines: nonZero });
  const codes = [...new Set(nonZero.map((l) => l.code))];
  await tx
    .insert(ledgerAccounts)
    .values(
      codes.map((code) => ({
        code,
        currency: j.currency,
        ownerUserId: nonZero.find((l) => l.code === code)?.ownerUserId ?? null,
      })),
    )
    .onConflictDoNothing();
  const accts = await tx.execute<{ id: string; code: string }>(
    sql`select id, code from ledger_accounts where currency = ${j.currency} and code in ${codes}`,
  );
  const idOf = new Map(accts.map((a) => [a.code, a.id]));
  const [journal] = await tx
    .insert(journals)
    .values({
      kind: j.kind,
      description: j.description,
      correlationId: j.correlationId ?? null,
      orderId: j.orderId ?? null,
      relationshipId: j.relationshipId ?? null,
      at: j.at,
    })
    .returning({ id: journals.id });
  await tx.insert(postings).values(
    nonZero.map((l) => ({
      journalId: journal!.id,
      ledgerAccountId: idOf.get(l.code)!,
      amount: fmt(l.amount),
      currency: j.currency,
    })),
  );
}

export { brokerCommissions, brokerSettlement, cashAccount, externalFunding };
