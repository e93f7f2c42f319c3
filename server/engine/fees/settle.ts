import { and, desc, eq, inArray, isNotNull, isNull, lt, lte, or, sql } from "drizzle-orm";
import {
  accountBalances,
  brokerAccounts,
  copyFeeTerms,
  copyPositions,
  copyRelationships,
  feePeriodMarks,
  feeSchedules,
  instruments,
  platformFeeSettings,
  quotes,
} from "../../../db/schema";
import { feePayer, leaderFeesPayable, type ChargedFee } from "../../domain/bookkeeping";
import {
  managementAccrual,
  periodLabel,
  platformShareAccount,
  revenueShare,
  settleFeePeriod,
  startsPeriod,
  type FeePeriod,
} from "../../domain/fees";
import { D, fmt, ZERO, type Decimal } from "../../domain/money";
import { copyPnl } from "../../domain/valuation";
import { writeFees } from "../book/book-fills-batch";
import { recordFeeSplits } from "./cash";
import { postJournal } from "../book/ledger";
import { groupBy } from "../core/concurrency";
import { appendEvents, copyStream, type Tx } from "../core/streams";
import type { EngineDeps } from "../deps";

/*
 * Management and performance fees (replay-format.md, "Fees"), settled by the worker and by
 * replays with the same code: at each 00:00 UTC the day that ended accrues the management
 * fee on the copy's equity then; at the start of a new period the period is settled; a stop
 * settles the period so far once its closing orders are filled. Every charge is taken from
 * the follower's cash as a balanced journal to the leader's fees payable.
 */

type Rel = typeof copyRelationships.$inferSelect;

type Valued = { equity: Decimal; unrealized: Decimal };

/** The copy's equity: reference capital plus P&L at exit prices, net of fees charged. */
async function equities(tx: Tx, rels: readonly Rel[]): Promise<Map<string, Valued>> {
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
    rels.map((r) => {
      const ps = byRel.get(r.id) ?? [];
      const pnl = copyPnl(ps, q, m);
      // What copyPnl adds beyond realized P&L net of commissions is the open positions' value.
      const booked = ps.reduce((s, p) => s.plus(p.realizedPnl).minus(p.fees), ZERO);
      return [
        r.id,
        {
          equity: D(r.referenceCapital).plus(pnl).minus(r.feesCharged),
          unrealized: pnl.minus(booked),
        },
      ];
    }),
  );
}

/** The part of every management and performance fee the platform keeps (admins set it). */
export async function platformSharePct(tx: Tx): Promise<string> {
  const [row] = await tx
    .select({ pct: platformFeeSettings.platformSharePct })
    .from(platformFeeSettings)
    .orderBy(desc(platformFeeSettings.id))
    .limit(1);
  return row?.pct ?? "0";
}

/**
 * Charges fees: a journal each from the follower to the leader's fees payable and the
 * platform's share (docs/adr/0060), and a copy_fees row each. At the paper broker the fee
 * is taken from the follower's cash (the worker moves it at the broker, `fee-cash.ts`); at
 * an external broker Tandem cannot take cash, so the fee is a receivable from the follower.
 */
async function charge(deps: EngineDeps, tx: Tx, rel: Rel, fees: ChargedFee[]): Promise<void> {
  const due = fees.filter((f) => !D(f.amount).isZero());
  if (due.length === 0) return;
  const [bal] = await tx
    .select()
    .from(accountBalances)
    .where(eq(accountBalances.brokerAccountId, rel.brokerAccountId))
    .for("update");
  const [acct] = await tx
    .select({ broker: brokerAccounts.broker })
    .from(brokerAccounts)
    .where(eq(brokerAccounts.id, rel.brokerAccountId));
  const payer = feePayer(rel.brokerAccountId, acct?.broker ?? "paper");
  const total = due.reduce((s, f) => s.plus(f.amount), ZERO);
  if (payer.takesCash)
    await tx
      .update(accountBalances)
      .set({
        cash: sql`${accountBalances.cash} - ${fmt(total)}::numeric`,
        updatedAt: deps.clock.now(),
      })
      .where(eq(accountBalances.brokerAccountId, rel.brokerAccountId));
  const share = await platformSharePct(tx);
  for (const f of due) {
    const split = revenueShare(f.amount, share);
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
        { code: payer.code, amount: fmt(D(f.amount).neg()), ownerUserId: rel.followerId },
        { code: leaderFeesPayable(rel.leaderId), amount: fmt(split.leader) },
        { code: platformShareAccount(), amount: fmt(split.platform) },
      ],
    );
  }
  await writeFees(tx, due);
  await recordFeeSplits(tx, rel.id, share, payer.takesCash, deps.clock.now());
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
  return deps.db
    .transaction(async (tx) => {
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
        const valued = eq_.get(rel.id)!;
        const equity = valued.equity;
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
        await settle(deps, tx, rel, valued, accrued, midnight, label);
        await tx
          .update(copyRelationships)
          .set({ feesAppliedAt: midnight })
          .where(eq(copyRelationships.id, rel.id));
      }
      return rels.length;
    })
    .then(async (n) => n + (await applyAcceptedTerms(deps, midnight)));
}

/**
 * Terms a follower accepted take effect at the start of the next period, after the period
 * that ended was settled under the old ones (docs/adr/0061). A copy that had no performance
 * fee starts its mark at its equity now: gains made before the follower agreed to pay on
 * them are not charged; a copy below its mark keeps it (the loss is still carried).
 */
async function applyAcceptedTerms(deps: EngineDeps, midnight: Date): Promise<number> {
  return deps.db.transaction(async (tx) => {
    const due = await tx
      .select({ t: copyFeeTerms, s: feeSchedules })
      .from(copyFeeTerms)
      .innerJoin(feeSchedules, eq(feeSchedules.id, copyFeeTerms.acceptedScheduleId))
      .where(
        and(isNotNull(copyFeeTerms.acceptedScheduleId), lte(copyFeeTerms.effectiveAt, midnight)),
      )
      .orderBy(copyFeeTerms.relationshipId)
      .for("update", { of: copyFeeTerms });
    for (const { t, s } of due) {
      const [rel] = await tx
        .select()
        .from(copyRelationships)
        .where(eq(copyRelationships.id, t.relationshipId))
        .for("update");
      if (!rel) continue;
      let hwm = rel.highWaterMark ?? rel.referenceCapital;
      if (
        rel.status !== "stopped" &&
        (!rel.performanceFeePct || D(rel.performanceFeePct).isZero())
      ) {
        const { equity } = (await equities(tx, [rel])).get(rel.id)!;
        if (equity.gt(hwm)) hwm = fmt(equity);
      }
      await tx
        .update(copyRelationships)
        .set({
          // Zero is no fee, as for a new copy.
          performanceFeePct: D(s.performanceFeePct).isZero() ? null : s.performanceFeePct,
          managementFeePctYear: D(s.managementFeePctYear).isZero() ? null : s.managementFeePctYear,
          platformFeeBps: D(s.platformFeeBps).isZero() ? null : s.platformFeeBps,
          feePeriod: s.period,
          highWaterMark: hwm,
        })
        .where(eq(copyRelationships.id, rel.id));
      await tx
        .update(copyFeeTerms)
        .set({
          scheduleId: s.id,
          consentedAt: t.acceptedAt ?? midnight,
          acceptedScheduleId: null,
          acceptedAt: null,
          effectiveAt: null,
        })
        .where(eq(copyFeeTerms.relationshipId, rel.id));
      await appendEvents(tx, [
        {
          stream: copyStream(rel.id),
          type: "copy_fee_terms_applied",
          payload: { scheduleId: s.id, version: s.version, highWaterMark: hwm },
          at: midnight,
        },
      ]);
    }
    return due.length;
  });
}

async function settle(
  deps: EngineDeps,
  tx: Tx,
  rel: Rel,
  valued: Valued,
  accrued: Decimal,
  at: Date,
  label: string,
): Promise<void> {
  const equity = valued.equity;
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
  // What the statement shows for the period's end: quotes move on, so it is kept as it was.
  await tx
    .insert(feePeriodMarks)
    .values({
      relationshipId: rel.id,
      period: label,
      at,
      equity: fmt(equity),
      unrealized: fmt(valued.unrealized),
      highWaterMarkBefore: fmt(hwm),
      highWaterMarkAfter: fmt(s.highWaterMark),
    })
    .onConflictDoNothing();
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
      const valued = (await equities(tx, [rel])).get(rel.id)!;
      await settle(
        deps,
        tx,
        rel,
        valued,
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
