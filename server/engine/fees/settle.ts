import { and, eq, inArray, isNotNull, isNull, lt, or, sql } from "drizzle-orm";
import {
  accountBalances,
  copyPositions,
  copyRelationships,
  instruments,
  quotes,
} from "../../../db/schema";
import { cashAccount, leaderFeesPayable, type ChargedFee } from "../../domain/bookkeeping";
import {
  managementAccrual,
  periodLabel,
  settleFeePeriod,
  startsPeriod,
  type FeePeriod,
} from "../../domain/fees";
import { D, fmt, ZERO, type Decimal } from "../../domain/money";
import { copyPnl } from "../../domain/valuation";
import { writeFees } from "../book/book-fills-batch";
import { postJournal } from "../book/ledger";
import { groupBy } from "../core/concurrency";
import type { Tx } from "../core/streams";
import type { EngineDeps } from "../deps";

/*
 * Management and performance fees (replay-format.md, "Fees"), settled by the worker and by
 * replays with the same code: at each 00:00 UTC the day that ended accrues the management
 * fee on the copy's equity then; at the start of a new period the period is settled; a stop
 * settles the period so far once its closing orders are filled. Every charge is taken from
 * the follower's cash as a balanced journal to the leader's fees payable.
 */

type Rel = typeof copyRelationships.$inferSelect;

/** The copy's equity: reference capital plus P&L at exit prices, net of fees charged. */
async function equities(tx: Tx, rels: readonly Rel[]): Promise<Map<string, Decimal>> {
  const ids = rels.map((r) => r.id);
  const held = ids.length
    ? await tx.select().from(copyPositions).where(inArray(copyPositions.relationshipId, ids))
    : [];
  const symbols = [...new Set(held.map((p) => p.symbol))];
  const qs = symbols.length
    ? await tx.select().from(quotes).where(inArray(quotes.symbol, symbols))
    : [];
  const ms = symbols.length
    ? await tx
        .select({ s: instruments.symbol, m: instruments.multiplier })
        .from(instruments)
        .where(inArray(instruments.symbol, symbols))
    : [];
  const q = new Map(qs.map((x) => [x.symbol, x]));
  const m = new Map(ms.map((x) => [x.s, x.m]));
  const byRel = groupBy(held, (p) => p.relationshipId);
  return new Map(
    rels.map((r) => [
      r.id,
      D(r.referenceCapital)
        .plus(copyPnl(byRel.get(r.id) ?? [], q, m))
        .minus(r.feesCharged),
    ]),
  );
}

/** Charges fees: follower cash down, a journal to the leader, a copy_fees row each. */
async function charge(deps: EngineDeps, tx: Tx, rel: Rel, fees: ChargedFee[]): Promise<void> {
  const due = fees.filter((f) => !D(f.amount).isZero());
  if (due.length === 0) return;
  const [bal] = await tx
    .select()
    .from(accountBalances)
    .where(eq(accountBalances.brokerAccountId, rel.brokerAccountId))
    .for("update");
  const total = due.reduce((s, f) => s.plus(f.amount), ZERO);
  await tx
    .update(accountBalances)
    .set({
      cash: sql`${accountBalances.cash} - ${fmt(total)}::numeric`,
      updatedAt: deps.clock.now(),
    })
    .where(eq(accountBalances.brokerAccountId, rel.brokerAccountId));
  for (const f of due)
    await postJournal(
      tx,
      {
        kind: "fee",
        description: `${f.kind} fee ${f.period ?? ""} (${f.rate} on ${f.base})`.replace("  ", " "),
        currency: bal?.currency ?? "USD",
        at: f.at,
        relationshipId: rel.id,
      },
      [
        { code: cashAccount(rel.brokerAccountId), amount: fmt(D(f.amount).neg()) },
        { code: leaderFeesPayable(rel.leaderId), amount: f.amount },
      ],
    );
  await writeFees(tx, due);
}

const hasPeriodFees = or(
  isNotNull(copyRelationships.managementFeePctYear),
  isNotNull(copyRelationships.performanceFeePct),
);

/**
 * What happens to fees at one 00:00 UTC instant: accrue the day that ended, and settle the
 * period that ended if `midnight` starts a new one. Call it once per midnight, in order,
 * before anything at or after that instant (the replay does; the worker at the day's turn).
 */
export async function feesAtMidnight(deps: EngineDeps, midnight: Date): Promise<number> {
  return deps.db.transaction(async (tx) => {
    const rels = await tx
      .select()
      .from(copyRelationships)
      .where(
        and(
          inArray(copyRelationships.status, ["active", "paused"]),
          hasPeriodFees,
          or(
            isNull(copyRelationships.feesAppliedAt),
            lt(copyRelationships.feesAppliedAt, midnight),
          ),
        ),
      )
      .orderBy(copyRelationships.id)
      .for("update");
    if (rels.length === 0) return 0;
    const eq_ = await equities(tx, rels);
    for (const rel of rels) {
      const equity = eq_.get(rel.id)!;
      const accrued = D(rel.feesAccrued).plus(
        rel.managementFeePctYear
          ? managementAccrual({ equity, pctYear: rel.managementFeePctYear })
          : ZERO,
      );
      const period = rel.feePeriod as FeePeriod;
      if (!startsPeriod(midnight, period)) {
        await tx
          .update(copyRelationships)
          .set({ feesAccrued: fmt(accrued), feesAppliedAt: midnight })
          .where(eq(copyRelationships.id, rel.id));
        continue;
      }
      const label = periodLabel(new Date(midnight.getTime() - 1), period);
      await settle(deps, tx, rel, equity, accrued, midnight, label);
      await tx
        .update(copyRelationships)
        .set({ feesAppliedAt: midnight })
        .where(eq(copyRelationships.id, rel.id));
    }
    return rels.length;
  });
}

async function settle(
  deps: EngineDeps,
  tx: Tx,
  rel: Rel,
  equity: Decimal,
  accrued: Decimal,
  at: Date,
  label: string,
): Promise<void> {
  const hwm = D(rel.highWaterMark ?? rel.referenceCapital);
  const s = settleFeePeriod({
    equity,
    highWaterMark: hwm,
    accrued,
    performancePct: rel.performanceFeePct,
  });
  const fees: ChargedFee[] = [
    {
      relationshipId: rel.id,
      kind: "management",
      at,
      amount: fmt(s.management),
      period: label,
      base: fmt(accrued),
      rate: rel.managementFeePctYear ?? "0",
      fillTradeId: null,
    },
    {
      relationshipId: rel.id,
      kind: "performance",
      at,
      amount: fmt(s.performance),
      period: label,
      base: fmt(s.gain),
      rate: rel.performanceFeePct ?? "0",
      fillTradeId: null,
    },
  ];
  await charge(deps, tx, rel, fees);
  await tx
    .update(copyRelationships)
    .set({ feesAccrued: "0", highWaterMark: fmt(s.highWaterMark) })
    .where(eq(copyRelationships.id, rel.id));
}

/**
 * A stopped copy's period so far, settled once its closing orders are filled (the caller
 * checks that nothing is held or working). Idempotent through `fees_settled_at`.
 */
export async function settleStoppedCopyFees(
  deps: EngineDeps,
  relationshipId: string,
): Promise<boolean> {
  return deps.db.transaction(async (tx) => {
    const [rel] = await tx
      .select()
      .from(copyRelationships)
      .where(eq(copyRelationships.id, relationshipId))
      .for("update");
    if (!rel || rel.status !== "stopped" || rel.feesSettledAt) return false;
    const now = deps.clock.now();
    if (rel.managementFeePctYear || rel.performanceFeePct) {
      const equity = (await equities(tx, [rel])).get(rel.id)!;
      await settle(
        deps,
        tx,
        rel,
        equity,
        D(rel.feesAccrued),
        now,
        periodLabel(now, rel.feePeriod as FeePeriod),
      );
    }
    await tx
      .update(copyRelationships)
      .set({ feesSettledAt: now })
      .where(eq(copyRelationships.id, rel.id));
    return true;
  });
}
