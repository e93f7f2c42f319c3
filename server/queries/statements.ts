import "server-only";
import { and, asc, eq, inArray } from "drizzle-orm";
import type { Db } from "../../db/client";
import {
  brokerAccounts,
  copyFees,
  copyPositions,
  copyRelationships,
  events,
  feePeriodMarks,
  fills,
  instruments,
  leaders,
  orders,
} from "../../db/schema";
import { nextPeriodStart, periodLabel, type FeePeriod } from "../domain/fees";
import { D, fmt, ZERO, type Decimal } from "../domain/money";
import { applyFillToPosition } from "../domain/order-state";
import { isCharge } from "../domain/bookkeeping";
import { marks, pnlParts } from "./copy-valuation";

/*
 * A copy's statement, per fee period, derived from what the engine recorded — fills (realized
 * P&L and commissions through the bookkeeping core's position rule), copy_fees (each fee with
 * its base and rate, the same rows the ledger journals were written with), allocation changes
 * (deposits and withdrawals) and, for a period's end, the valuation the fees were computed on
 * (fee_period_marks); the open period is valued now by the one valuation. Nothing here is
 * stored: the statement is a reading of the books, and `check` says whether it adds up.
 */

export type StatementFee = {
  kind: "platform" | "management" | "performance";
  at: string;
  amount: string;
  /** What it was computed on: the fills' notional, the accrued management base, the gain above the mark. */
  base: string;
  /** bps for the platform fee, % a year for management, % for performance. */
  rate: string;
  /** Platform fees are summed per rate: how many fills. */
  count: number;
};

export type StatementPeriod = {
  period: string;
  start: string;
  end: string;
  /** `settled` (fees charged at its end), `open` (valued now), `unvalued` (no valuation kept). */
  state: "settled" | "open" | "unvalued";
  equityStart: string;
  deposits: string;
  withdrawals: string;
  realizedPnl: string;
  unrealizedStart: string;
  unrealizedEnd: string;
  commissions: string;
  fees: StatementFee[];
  feesTotal: string;
  /** Fees an external broker's account owes (Tandem could not take them from its cash). */
  feesReceivable: string;
  equityEnd: string;
  highWaterMarkBefore: string;
  highWaterMarkAfter: string | null;
  /** equityStart + deposits − withdrawals + realized + Δunrealized − commissions − fees − equityEnd (0 when it adds up). */
  check: string;
};

export type Statement = {
  copyId: string;
  followerId: string;
  leaderId: string;
  leaderName: string;
  currency: string;
  broker: string;
  feePeriod: FeePeriod;
  terms: {
    performanceFeePct: string | null;
    managementFeePctYear: string | null;
    platformFeeBps: string | null;
  };
  startedAt: string;
  stoppedAt: string | null;
  periods: StatementPeriod[];
};

type Rel = typeof copyRelationships.$inferSelect;

/** Whom a statement may be shown to: its follower, and staff (support reads only). */
export async function statementAccess(
  db: Db,
  viewer: { id: string; role: string },
  copyId: string,
): Promise<boolean> {
  const [rel] = await db
    .select({ followerId: copyRelationships.followerId })
    .from(copyRelationships)
    .where(eq(copyRelationships.id, copyId));
  if (!rel) return false;
  return rel.followerId === viewer.id || viewer.role === "admin" || viewer.role === "support";
}

export async function copyStatement(db: Db, copyId: string, now: Date): Promise<Statement | null> {
  const [row] = await db
    .select({ rel: copyRelationships, leaderName: leaders.displayName, acct: brokerAccounts })
    .from(copyRelationships)
    .innerJoin(leaders, eq(leaders.id, copyRelationships.leaderId))
    .innerJoin(brokerAccounts, eq(brokerAccounts.id, copyRelationships.brokerAccountId))
    .where(eq(copyRelationships.id, copyId));
  if (!row) return null;
  const rel: Rel = row.rel;
  const period = rel.feePeriod as FeePeriod;

  const [copyFills, fees, periodMarks, copyEvents, held] = await Promise.all([
    db
      .select({
        side: orders.side,
        symbol: orders.symbol,
        qty: fills.qty,
        price: fills.price,
        fee: fills.fee,
        at: fills.filledAt,
        multiplier: instruments.multiplier,
      })
      .from(fills)
      .innerJoin(orders, eq(orders.id, fills.orderId))
      .innerJoin(instruments, eq(instruments.symbol, orders.symbol))
      .where(eq(orders.relationshipId, copyId))
      .orderBy(asc(fills.filledAt), asc(fills.id)),
    db
      .select()
      .from(copyFees)
      .where(eq(copyFees.relationshipId, copyId))
      .orderBy(asc(copyFees.at), asc(copyFees.id)),
    db
      .select()
      .from(feePeriodMarks)
      .where(eq(feePeriodMarks.relationshipId, copyId))
      .orderBy(asc(feePeriodMarks.at)),
    db
      .select({ type: events.type, payload: events.payload, at: events.at })
      .from(events)
      .where(
        and(
          eq(events.stream, `copy:${copyId}`),
          inArray(events.type, ["copy_started", "copy_allocation_set"]),
        ),
      )
      .orderBy(asc(events.seq)),
    db.select().from(copyPositions).where(eq(copyPositions.relationshipId, copyId)),
  ]);

  // Capital flows: each allocation change moves the reference capital (and the mark) by Δ.
  const started = copyEvents.find((e) => e.type === "copy_started");
  const sizing = (started?.payload?.sizing ?? {}) as { allocation?: string };
  const allocEvents = copyEvents.filter((e) => e.type === "copy_allocation_set");
  let reference = D(
    allocEvents.length === 0 ? rel.referenceCapital : (sizing.allocation ?? rel.referenceCapital),
  );
  const flows: { at: Date; amount: Decimal }[] = [];
  for (const e of allocEvents) {
    const next = D(String((e.payload as { allocation: string }).allocation));
    flows.push({ at: e.at, amount: next.minus(reference) });
    reference = next;
  }

  // Boundaries: period starts from the copy's start until its end (stop settlement or now).
  const startAt = rel.startedAt;
  const stopMark = rel.stoppedAt ? periodMarks.find((m) => m.at >= rel.stoppedAt!) : undefined;
  const endAt = rel.stoppedAt ? (stopMark?.at ?? rel.stoppedAt) : now;
  const bounds: Date[] = [startAt];
  for (let b = nextPeriodStart(startAt, period); b < endAt; b = nextPeriodStart(b, period))
    bounds.push(b);
  bounds.push(endAt);

  // Realized P&L and commissions per fill, through the bookkeeping core's position rule.
  const pos = new Map<string, { qty: string; avgCost: string; realizedPnl: string }>();
  const realizedAt: { at: Date; realized: Decimal; commission: Decimal }[] = [];
  for (const f of copyFills) {
    // A charge (a commission posted after the fills) moves no position.
    if (isCharge(f)) {
      realizedAt.push({ at: f.at, realized: ZERO, commission: D(f.fee) });
      continue;
    }
    const before = pos.get(f.symbol) ?? { qty: "0", avgCost: "0", realizedPnl: "0" };
    const signed = f.side === "buy" ? D(f.qty) : D(f.qty).neg();
    const p = applyFillToPosition(before, {
      signedQty: signed,
      price: f.price,
      multiplier: f.multiplier,
    });
    pos.set(f.symbol, {
      qty: fmt(p.qty),
      avgCost: fmt(p.avgCost),
      realizedPnl: fmt(p.realizedPnl),
    });
    realizedAt.push({ at: f.at, realized: p.realizedPnlDelta, commission: D(f.fee) });
  }

  // The open period's end: the copy valued now, by the one valuation (exit prices).
  let liveUnrealized = ZERO;
  let liveEquity = ZERO;
  if (!rel.stoppedAt) {
    const m = await marks(
      db,
      held.map((h) => h.symbol),
    );
    const parts = pnlParts(held, m);
    liveUnrealized = D(parts.unrealized);
    liveEquity = D(rel.referenceCapital).plus(parts.total).minus(rel.feesCharged);
  }

  const inRange = (at: Date, a: Date, b: Date, last: boolean) =>
    at >= a && (last ? at <= b : at < b);
  const external = row.acct.broker !== "paper";
  const periods: StatementPeriod[] = [];
  let equityStart = D(
    allocEvents.length === 0 ? rel.referenceCapital : (sizing.allocation ?? rel.referenceCapital),
  );
  let unrealizedStart = ZERO;
  let hwmBefore = equityStart;
  for (let i = 0; i + 1 < bounds.length; i++) {
    const a = bounds[i]!;
    const b = bounds[i + 1]!;
    const last = i + 2 === bounds.length;
    const label = periodLabel(a, period);
    const flowsIn = flows.filter((f) => inRange(f.at, a, b, last));
    const deposits = flowsIn
      .filter((f) => f.amount.isPos())
      .reduce((s, f) => s.plus(f.amount), ZERO);
    const withdrawals = flowsIn
      .filter((f) => f.amount.isNeg())
      .reduce((s, f) => s.plus(f.amount.neg()), ZERO);
    const trades = realizedAt.filter((r) => inRange(r.at, a, b, last));
    const realized = trades.reduce((s, r) => s.plus(r.realized), ZERO);
    const commissions = trades.reduce((s, r) => s.plus(r.commission), ZERO);
    // A period's management and performance fees are charged at its end instant, which is
    // also the next period's start: they belong to the period that ended.
    const feesIn = fees.filter((f) =>
      f.kind === "platform" ? inRange(f.at, a, b, last) : f.at > a && f.at <= b,
    );
    const lines: StatementFee[] = [];
    for (const f of feesIn) {
      const same =
        f.kind === "platform"
          ? lines.find((l) => l.kind === "platform" && D(l.rate).eq(f.rate))
          : undefined;
      if (same) {
        same.amount = fmt(D(same.amount).plus(f.amount));
        same.base = fmt(D(same.base).plus(f.base));
        same.count++;
        same.at = f.at.toISOString();
      } else
        lines.push({
          kind: f.kind,
          at: f.at.toISOString(),
          amount: fmt(f.amount),
          base: fmt(f.base),
          rate: fmt(f.rate),
          count: 1,
        });
    }
    const feesTotal = feesIn.reduce((s, f) => s.plus(f.amount), ZERO);
    // The settlement that closes this period (at its end instant, or the stop's).
    const mark = periodMarks.find((m) => m.at.getTime() === b.getTime());
    let state: StatementPeriod["state"];
    let unrealizedEnd: Decimal;
    let equityEnd: Decimal;
    let hwmAfter: string | null;
    if (mark) {
      const settledThere = fees
        .filter((f) => f.at.getTime() === b.getTime() && f.kind !== "platform")
        .reduce((s, f) => s.plus(f.amount), ZERO);
      state = "settled";
      unrealizedEnd = D(mark.unrealized);
      equityEnd = D(mark.equity).minus(settledThere);
      hwmAfter = fmt(mark.highWaterMarkAfter);
    } else if (last && !rel.stoppedAt) {
      state = "open";
      unrealizedEnd = liveUnrealized;
      equityEnd = liveEquity;
      hwmAfter = null;
    } else {
      // No valuation was kept for this instant (a copy without period fees): the end is what
      // the flows make of the start, with positions at their cost.
      state = "unvalued";
      unrealizedEnd = unrealizedStart;
      equityEnd = equityStart
        .plus(deposits)
        .minus(withdrawals)
        .plus(realized)
        .minus(commissions)
        .minus(feesTotal);
      hwmAfter = null;
    }
    const check = equityStart
      .plus(deposits)
      .minus(withdrawals)
      .plus(realized)
      .plus(unrealizedEnd.minus(unrealizedStart))
      .minus(commissions)
      .minus(feesTotal)
      .minus(equityEnd);
    const hwmStart = mark
      ? D(mark.highWaterMarkBefore).minus(deposits).plus(withdrawals)
      : hwmBefore;
    periods.push({
      period: label,
      start: a.toISOString(),
      end: b.toISOString(),
      state,
      equityStart: fmt(equityStart),
      deposits: fmt(deposits),
      withdrawals: fmt(withdrawals),
      realizedPnl: fmt(realized),
      unrealizedStart: fmt(unrealizedStart),
      unrealizedEnd: fmt(unrealizedEnd),
      commissions: fmt(commissions),
      fees: lines,
      feesTotal: fmt(feesTotal),
      feesReceivable: external
        ? fmt(feesIn.filter((f) => f.kind !== "platform").reduce((s, f) => s.plus(f.amount), ZERO))
        : "0",
      equityEnd: fmt(equityEnd),
      highWaterMarkBefore: fmt(hwmStart),
      highWaterMarkAfter: hwmAfter,
      check: fmt(check),
    });
    equityStart = equityEnd;
    unrealizedStart = unrealizedEnd;
    hwmBefore = hwmAfter ? D(hwmAfter) : hwmStart.plus(deposits).minus(withdrawals);
  }

  return {
    copyId,
    followerId: rel.followerId,
    leaderId: rel.leaderId,
    leaderName: row.leaderName,
    currency: row.acct.currency,
    broker: row.acct.broker,
    feePeriod: period,
    terms: {
      performanceFeePct: rel.performanceFeePct,
      managementFeePctYear: rel.managementFeePctYear,
      platformFeeBps: rel.platformFeeBps,
    },
    startedAt: rel.startedAt.toISOString(),
    stoppedAt: rel.stoppedAt?.toISOString() ?? null,
    periods,
  };
}

export const STATEMENT_CSV_COLUMNS = [
  "period",
  "start",
  "end",
  "state",
  "equity_start",
  "deposits",
  "withdrawals",
  "realized_pnl",
  "unrealized_start",
  "unrealized_end",
  "commissions",
  "platform_fee",
  "platform_fee_base",
  "platform_fee_bps",
  "management_fee",
  "management_fee_base",
  "management_fee_pct_year",
  "performance_fee",
  "performance_fee_base",
  "performance_fee_pct",
  "fees_total",
  "fees_receivable",
  "equity_end",
  "high_water_mark_before",
  "high_water_mark_after",
  "currency",
] as const;

/** One CSV row per period; amounts as exact decimals, no thousands separators. */
export function statementCsv(s: Statement): string {
  const sum = (p: StatementPeriod, kind: StatementFee["kind"], key: "amount" | "base") =>
    fmt(p.fees.filter((f) => f.kind === kind).reduce((t, f) => t.plus(f[key]), ZERO));
  const rate = (p: StatementPeriod, kind: StatementFee["kind"]) =>
    [...new Set(p.fees.filter((f) => f.kind === kind).map((f) => f.rate))].join("/");
  const rows = s.periods.map((p) => [
    p.period,
    p.start,
    p.end,
    p.state,
    p.equityStart,
    p.deposits,
    p.withdrawals,
    p.realizedPnl,
    p.unrealizedStart,
    p.unrealizedEnd,
    p.commissions,
    sum(p, "platform", "amount"),
    sum(p, "platform", "base"),
    rate(p, "platform"),
    sum(p, "management", "amount"),
    sum(p, "management", "base"),
    rate(p, "management"),
    sum(p, "performance", "amount"),
    sum(p, "performance", "base"),
    rate(p, "performance"),
    p.feesTotal,
    p.feesReceivable,
    p.equityEnd,
    p.highWaterMarkBefore,
    p.highWaterMarkAfter ?? "",
    s.currency,
  ]);
  return [STATEMENT_CSV_COLUMNS.join(","), ...rows.map((r) => r.join(","))].join("\r\n") + "\r\n";
}

/** The follower's name for a file: only the copy's id and the day, nothing to escape. */
export function statementFileName(s: Statement, now: Date): string {
  return `tandem-statement-${s.copyId.slice(0, 8)}-${now.toISOString().slice(0, 10)}.csv`;
}
