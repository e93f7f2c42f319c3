import { and, asc, eq, inArray, isNull } from "drizzle-orm";
import { brokerAccounts, copyFees, copyRelationships, feeCashMoves } from "../../../db/schema";
import {
  leaderEarningsPaperAccount,
  movePaperCash,
  PLATFORM_FEES_PAPER_ACCOUNT,
} from "../../brokers/paper/fee-cash";
import { revenueShare } from "../../domain/fees";
import { fmt } from "../../domain/money";
import type { Tx } from "../core/streams";
import type { EngineDeps } from "../deps";

/*
 * Fee cash at the broker (docs/adr/0060). A fee is charged on Tandem's books at once (the
 * follower's cash, a balanced journal); this moves the same money at the paper broker, from
 * the follower's paper account to the leader's earnings account and the platform's, in one
 * transaction with marking the fee moved, so each fee's cash moves exactly once however
 * many workers run. At an external broker Tandem cannot take cash: the fee is a receivable.
 */

const BATCH = 500;

/**
 * Records the split of fees just charged (in the charging transaction): the leader's and
 * the platform's part, `pending` at the paper broker, `receivable` elsewhere.
 */
export async function recordFeeSplits(
  tx: Tx,
  relationshipId: string,
  sharePct: string,
  paper: boolean,
  at: Date,
): Promise<void> {
  const rows = await tx
    .select({ id: copyFees.id, kind: copyFees.kind, amount: copyFees.amount })
    .from(copyFees)
    .leftJoin(feeCashMoves, eq(feeCashMoves.copyFeeId, copyFees.id))
    .where(and(eq(copyFees.relationshipId, relationshipId), isNull(feeCashMoves.copyFeeId)));
  if (rows.length === 0) return;
  await tx
    .insert(feeCashMoves)
    .values(
      rows.map((r) => {
        const split =
          r.kind === "platform"
            ? { platform: r.amount, leader: "0" }
            : revenueShare(r.amount, sharePct);
        return {
          copyFeeId: r.id,
          kind: paper ? ("pending" as const) : ("receivable" as const),
          leaderAmount: fmt(split.leader),
          platformAmount: fmt(split.platform),
          at,
        };
      }),
    )
    .onConflictDoNothing();
}

/**
 * One pass: platform fees the bookkeeping core charged get their split (all the platform's),
 * then pending fees at the paper broker move. Returns how many fees moved.
 */
export async function moveFeeCash(deps: EngineDeps): Promise<number> {
  return deps.db.transaction(async (tx) => {
    const now = deps.clock.now();
    // Platform fees come from the booking path, which records no split: all the platform's.
    const unsplit = await tx
      .select({
        id: copyFees.id,
        amount: copyFees.amount,
        broker: brokerAccounts.broker,
      })
      .from(copyFees)
      .innerJoin(copyRelationships, eq(copyRelationships.id, copyFees.relationshipId))
      .innerJoin(brokerAccounts, eq(brokerAccounts.id, copyRelationships.brokerAccountId))
      .leftJoin(feeCashMoves, eq(feeCashMoves.copyFeeId, copyFees.id))
      .where(and(isNull(feeCashMoves.copyFeeId), eq(copyFees.kind, "platform")))
      .orderBy(asc(copyFees.id))
      .limit(BATCH);
    if (unsplit.length)
      await tx
        .insert(feeCashMoves)
        .values(
          unsplit.map((r) => ({
            copyFeeId: r.id,
            kind: r.broker === "paper" ? ("pending" as const) : ("receivable" as const),
            leaderAmount: "0",
            platformAmount: r.amount,
            at: now,
          })),
        )
        .onConflictDoNothing();
    const due = await tx
      .select({
        id: feeCashMoves.copyFeeId,
        leaderAmount: feeCashMoves.leaderAmount,
        platformAmount: feeCashMoves.platformAmount,
        leaderId: copyRelationships.leaderId,
        from: brokerAccounts.externalId,
        currency: brokerAccounts.currency,
      })
      .from(feeCashMoves)
      .innerJoin(copyFees, eq(copyFees.id, feeCashMoves.copyFeeId))
      .innerJoin(copyRelationships, eq(copyRelationships.id, copyFees.relationshipId))
      .innerJoin(brokerAccounts, eq(brokerAccounts.id, copyRelationships.brokerAccountId))
      .where(and(eq(feeCashMoves.kind, "pending"), eq(brokerAccounts.broker, "paper")))
      .orderBy(asc(feeCashMoves.copyFeeId))
      .limit(BATCH)
      .for("update", { of: feeCashMoves, skipLocked: true });
    if (due.length === 0) return 0;
    await movePaperCash(
      tx,
      due.flatMap((d) => [
        {
          from: d.from,
          to: PLATFORM_FEES_PAPER_ACCOUNT,
          amount: d.platformAmount,
          currency: d.currency,
        },
        {
          from: d.from,
          to: leaderEarningsPaperAccount(d.leaderId),
          amount: d.leaderAmount,
          currency: d.currency,
        },
      ]),
      now,
    );
    await tx
      .update(feeCashMoves)
      .set({ kind: "moved", movedAt: now })
      .where(
        inArray(
          feeCashMoves.copyFeeId,
          due.map((d) => d.id),
        ),
      );
    return due.length;
  });
}
