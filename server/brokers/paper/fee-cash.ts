import { inArray, sql } from "drizzle-orm";
import { paperAccounts } from "../../../db/schema/paper-broker";
import { D, fmt, ZERO, type Decimal } from "../../domain/money";
import type { Tx } from "./account-tx";

/** The paper accounts fee cash is paid into: the platform's, and each leader's earnings. */
export const PLATFORM_FEES_PAPER_ACCOUNT = "fees-platform";
export const leaderEarningsPaperAccount = (leaderId: string) => `fees-leader-${leaderId}`;

/**
 * Moves cash between paper accounts in the caller's transaction (docs/adr/0060): fees leave
 * the follower's paper account and arrive in the leader's earnings and the platform's
 * accounts, so the broker's cash and Tandem's books agree and reconciliation sees no
 * difference. Every account row is locked in id order (the order every caller uses, so two
 * movers cannot deadlock); an earnings account is opened at zero on its first fee. Cash
 * out of a follower's account is not checked against a floor: the fee was charged on our
 * books already, and the broker's cash must follow them.
 */
export async function movePaperCash(
  tx: Tx,
  moves: readonly { from: string; to: string; amount: string; currency: string }[],
  at: Date,
): Promise<void> {
  const due = moves.filter((m) => !D(m.amount).isZero());
  if (due.length === 0) return;
  const to = [...new Set(due.map((m) => m.to))];
  await tx
    .insert(paperAccounts)
    .values(
      to.map((id) => ({
        id,
        cash: "0",
        currency: due.find((m) => m.to === id)!.currency,
        createdAt: at,
      })),
    )
    .onConflictDoNothing();
  const delta = new Map<string, Decimal>();
  for (const m of due) {
    delta.set(m.from, (delta.get(m.from) ?? ZERO).minus(m.amount));
    delta.set(m.to, (delta.get(m.to) ?? ZERO).plus(m.amount));
  }
  const ids = [...delta.keys()].sort();
  await tx
    .select({ id: paperAccounts.id })
    .from(paperAccounts)
    .where(inArray(paperAccounts.id, ids))
    .orderBy(paperAccounts.id)
    .for("update");
  for (const id of ids)
    await tx.execute(
      sql`update paper_accounts set cash = cash + ${fmt(delta.get(id)!)}::numeric where id = ${id}`,
    );
}
