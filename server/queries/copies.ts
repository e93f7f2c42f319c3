import { and, asc, desc, eq, inArray, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../db/client";
import {
  auditLog,
  copyDecisions,
  copyPositions,
  copyRelationships,
  copySymbolRatios,
  equitySnapshots,
  eventStreams,
  instruments,
  leaderFills,
  leaderPositions,
  leaders,
  orders,
  quotes,
} from "../../db/schema";
import { copyPnl } from "../domain/valuation";
import { leaderEquity } from "../engine/ingest/leader-book";
import { performanceSummary } from "../domain/metrics";
import { D, fmt, parseDecimal, ZERO } from "../domain/money";
import { targetPosition } from "../domain/sizing";
import { availableToAllocate, primaryAccount } from "./accounts";
import { MIN_TRACK_RECORD_DAYS } from "./leaders";
import { chartSeries, toSeries } from "./series";

/** The copy agreement followers consent to; bump when its text changes. */
export const AGREEMENT_VERSION = "2026-11-copy-v1";

const decimalText = (field: string) =>
  z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?$/, `${field}: enter a number such as 5000 or 12.5`);

export const riskLimitsInput = z.object({
  copyStopLossPct: decimalText("Copy stop-loss")
    .refine((v) => D(v).gt(0) && D(v).lt(100), "Copy stop-loss: must be between 0 and 100 %")
    .nullable(),
  maxSymbolExposure: decimalText("Max exposure per instrument")
    .refine((v) => D(v).gt(0), "Max exposure per instrument: must be greater than 0")
    .nullable(),
  maxOpenPositions: z.number().int().min(1, "Max open positions: at least 1").max(1000).nullable(),
  maxSlippageBps: z.number().int().min(1, "Max slippage: at least 1 bp").max(10_000).nullable(),
  dailyLossLimit: decimalText("Daily loss limit")
    .refine((v) => D(v).gt(0), "Daily loss limit: must be greater than 0")
    .nullable(),
});
export type RiskLimits = z.infer<typeof riskLimitsInput>;

export { defaultLimits } from "../domain/copy-defaults";
import { defaultLimits } from "../domain/copy-defaults";

export const sizingInput = z.discriminatedUnion("mode", [
  z.object({ mode: z.literal("proportional"), amount: decimalText("Amount") }),
  z.object({
    mode: z.literal("multiplier"),
    amount: decimalText("Amount"),
    factor: decimalText("Multiplier"),
  }),
  z.object({
    mode: z.literal("fixed_notional"),
    amount: decimalText("Amount"),
    notional: decimalText("Amount per trade"),
  }),
]);
export type SizingInput = z.infer<typeof sizingInput>;

export const copyPreviewInput = z.object({
  leaderId: z.string().uuid(),
  sizing: sizingInput,
});

type LeaderRow = typeof leaders.$inferSelect;

/** Refusals that name the field and what to do; null when the amount is acceptable. */
export function amountProblem(input: {
  amount: string;
  minAllocation: string;
  available: string | null;
  currency: string;
}): string | null {
  const a = D(input.amount);
  if (a.lte(0)) return "Amount: enter how much to put into this copy.";
  if (a.lt(input.minAllocation))
    return `Amount: the minimum for this leader is ${money(input.minAllocation, input.currency)}.`;
  if (input.available !== null && a.gt(input.available))
    return `Amount: you have ${money(input.available, input.currency)} available to allocate. Add funds or lower the amount.`;
  return null;
}

function money(v: string, ccy: string) {
  return `${D(v)
    .toFixed(2)
    .replace(/\B(?=(\d{3})+(?!\d))/g, ",")} ${ccy}`;
}

/**
 * The worked example behind the copy form, from the follower's own amount: the ratio the
 * engine would fix now, and what the follower would have bought for the leader's recent
 * opening trades ("when this leader buys 100 AAPL you buy 5").
 */
export async function copyPreview(
  db: Db,
  viewerId: string | null,
  raw: z.input<typeof copyPreviewInput>,
) {
  const input = copyPreviewInput.parse(raw);
  const [leader] = await db.select().from(leaders).where(eq(leaders.id, input.leaderId));
  if (!leader) return null;
  const account = viewerId ? await primaryAccount(db, viewerId) : null;
  const funds = account ? await availableToAllocate(db, account.id) : null;
  const currency = account?.currency ?? "USD";
  const { equity, source } = await sizingEquity(db, leader);
  const s = input.sizing;
  const ratio =
    s.mode === "proportional"
      ? equity.gt(0)
        ? D(s.amount).div(equity)
        : null
      : s.mode === "multiplier"
        ? D(s.factor)
        : null;
  const examples = await workedExamples(db, leader, s, ratio);
  return {
    leaderEquity: fmt(equity.toDecimalPlaces(2)),
    equitySource: source,
    ratio: ratio ? fmt(ratio.toSignificantDigits(6)) : null,
    examples,
    funds,
    hasAccount: account !== null,
    currency,
    minAllocation: leader.minAllocation,
    amountError: amountProblem({
      amount: s.amount,
      minAllocation: leader.minAllocation,
      available: funds ? funds.available : "0",
      currency,
    }),
    defaults: defaultLimits(s.amount),
  };
}

/** Leader equity the engine sizes with (cash + positions at market); the last snapshot if no book yet. */
async function sizingEquity(
  db: Db,
  leader: LeaderRow,
): Promise<{ equity: ReturnType<typeof D>; source: "book" | "snapshot" }> {
  const book = await leaderEquity(db, leader.id);
  if (book.gt(0)) return { equity: book, source: "book" };
  const [snap] = await db
    .select({ equity: equitySnapshots.equity })
    .from(equitySnapshots)
    .where(and(eq(equitySnapshots.ownerType, "leader"), eq(equitySnapshots.ownerId, leader.id)))
    .orderBy(desc(equitySnapshots.day))
    .limit(1);
  return { equity: D(snap?.equity ?? 0), source: "snapshot" };
}

async function workedExamples(
  db: Db,
  leader: LeaderRow,
  s: SizingInput,
  ratio: ReturnType<typeof D> | null,
) {
  // The leader's most recent opening fill (from flat) per symbol, up to three symbols.
  const opens = await db.execute<{
    symbol: string;
    qty: string;
    price: string;
    side: "buy" | "sell";
  }>(sql`
    select distinct on (symbol) symbol, qty::text, price::text, side
      from ${leaderFills}
     where leader_id = ${leader.id} and abs(position_after) = qty
     order by symbol, event_seq desc`);
  const picked = [...opens].slice(0, 3);
  if (picked.length === 0) return [];
  const specs = await db
    .select()
    .from(instruments)
    .where(
      inArray(
        instruments.symbol,
        picked.map((p) => p.symbol),
      ),
    );
  const bySymbol = new Map(specs.map((i) => [i.symbol, i]));
  return picked.map((o) => {
    const inst = bySymbol.get(o.symbol)!;
    const unit = D(o.price).times(inst.multiplier);
    const r =
      s.mode === "fixed_notional"
        ? unit.gt(0)
          ? D(s.notional).div(D(o.qty).times(unit))
          : ZERO
        : (ratio ?? ZERO);
    const qty = targetPosition({ ratio: r, leaderPosition: o.qty, qtyStep: inst.qtyStep });
    const notional = qty.times(unit);
    const tooSmall = qty.isZero() || qty.lt(inst.minQty) || notional.lt(inst.minNotional);
    return {
      symbol: o.symbol,
      side: o.side,
      leaderQty: o.qty,
      price: o.price,
      leaderNotional: fmt(D(o.qty).times(unit).toDecimalPlaces(2)),
      followerQty: fmt(qty),
      followerNotional: fmt(notional.toDecimalPlaces(2)),
      currency: inst.currency,
      tooSmall,
      minQty: inst.minQty,
      minNotional: inst.minNotional,
    };
  });
}

/** Checks before a copy starts; each refusal names the field. */
export async function validateNewCopy(
  db: Db,
  input: { followerId: string; leaderId: string; brokerAccountId: string; amount: string },
  now: Date = new Date(),
): Promise<{
  code: "NOT_FOUND" | "PRECONDITION_FAILED" | "BAD_REQUEST" | "CONFLICT";
  message: string;
} | null> {
  const [leader] = await db.select().from(leaders).where(eq(leaders.id, input.leaderId));
  if (!leader) return { code: "NOT_FOUND", message: "No such leader." };
  if (leader.userId === input.followerId)
    return { code: "BAD_REQUEST", message: "You cannot copy yourself." };
  if (!leader.copyable)
    return { code: "PRECONDITION_FAILED", message: "This leader cannot be copied right now." };
  const days = Math.floor((now.getTime() - leader.trackRecordStartedAt.getTime()) / 86_400_000);
  if (days < MIN_TRACK_RECORD_DAYS)
    return {
      code: "PRECONDITION_FAILED",
      message: `This leader has ${days} days of track record; copying opens after ${MIN_TRACK_RECORD_DAYS} days.`,
    };
  const [dup] = await db
    .select({ id: copyRelationships.id })
    .from(copyRelationships)
    .where(
      and(
        eq(copyRelationships.followerId, input.followerId),
        eq(copyRelationships.leaderId, input.leaderId),
        sql`${copyRelationships.status} <> 'stopped'`,
      ),
    );
  if (dup)
    return {
      code: "CONFLICT",
      message: "You already copy this leader. Change the amount on that copy instead.",
    };
  const funds = await availableToAllocate(db, input.brokerAccountId);
  const problem = amountProblem({
    amount: input.amount,
    minAllocation: leader.minAllocation,
    available: funds.available,
    currency: "USD",
  });
  return problem ? { code: "BAD_REQUEST", message: problem } : null;
}

async function marks(db: Db, symbols: string[]) {
  if (symbols.length === 0)
    return {
      quotes: new Map(),
      mult: new Map<string, string>(),
      specs: new Map<string, typeof instruments.$inferSelect>(),
    };
  const qs = await db.select().from(quotes).where(inArray(quotes.symbol, symbols));
  const specs = await db.select().from(instruments).where(inArray(instruments.symbol, symbols));
  return {
    quotes: new Map(qs.map((q) => [q.symbol, q])),
    mult: new Map(specs.map((i) => [i.symbol, i.multiplier])),
    specs: new Map(specs.map((i) => [i.symbol, i])),
  };
}

/** The P&L split the follower sees, from the engine's own valuation (longs at bid, shorts at ask). */
function pnlParts(
  held: Array<{ symbol: string; qty: string; avgCost: string; realizedPnl: string; fees: string }>,
  m: { quotes: Map<string, { bid: string; ask: string }>; mult: Map<string, string> },
) {
  const total = copyPnl(held, m.quotes, m.mult);
  const unrealized = copyPnl(
    held.map((h) => ({ ...h, realizedPnl: "0", fees: "0" })),
    m.quotes,
    m.mult,
  );
  const realized = held.reduce((a, h) => a.plus(h.realizedPnl), ZERO);
  const fees = held.reduce((a, h) => a.plus(h.fees), ZERO);
  return {
    total: fmt(total),
    unrealized: fmt(unrealized),
    realized: fmt(realized),
    fees: fmt(fees),
  };
}

/** The caller's copies, newest first, with health and P&L. */
export async function listCopies(db: Db, userId: string, now: Date = new Date()) {
  const rels = await db
    .select({
      rel: copyRelationships,
      handle: leaders.handle,
      leaderName: leaders.displayName,
    })
    .from(copyRelationships)
    .innerJoin(leaders, eq(leaders.id, copyRelationships.leaderId))
    .where(eq(copyRelationships.followerId, userId))
    .orderBy(sql`${copyRelationships.status} = 'stopped'`, desc(copyRelationships.createdAt));
  if (rels.length === 0) return [];
  const ids = rels.map((r) => r.rel.id);
  const held = await db
    .select()
    .from(copyPositions)
    .where(inArray(copyPositions.relationshipId, ids));
  const m = await marks(db, [...new Set(held.map((h) => h.symbol))]);
  const streams = await db
    .select()
    .from(eventStreams)
    .where(inArray(eventStreams.stream, [...new Set(rels.map((r) => `leader:${r.rel.leaderId}`))]));
  const lastSeq = new Map(streams.map((s) => [s.stream, s.lastSeq]));
  const counts = await db
    .select({
      id: copyDecisions.relationshipId,
      skipped: sql<number>`count(*) filter (where ${copyDecisions.action} = 'skipped')::int`,
      reduced: sql<number>`count(*) filter (where ${copyDecisions.action} = 'reduced')::int`,
    })
    .from(copyDecisions)
    .where(inArray(copyDecisions.relationshipId, ids))
    .groupBy(copyDecisions.relationshipId);
  const countBy = new Map(counts.map((c) => [c.id, c]));
  const errors = await db
    .select({ id: orders.relationshipId, n: sql<number>`count(*)::int` })
    .from(orders)
    .where(
      and(inArray(orders.relationshipId, ids), inArray(orders.status, ["rejected", "unknown"])),
    )
    .groupBy(orders.relationshipId);
  const errBy = new Map(errors.map((e) => [e.id, e.n]));
  return rels.map(({ rel, handle, leaderName }) => {
    const mine = held.filter((h) => h.relationshipId === rel.id);
    return {
      id: rel.id,
      leader: { id: rel.leaderId, handle, name: leaderName },
      status: rel.status,
      stopReason: rel.stopReason,
      sizingMode: rel.sizingMode,
      allocation: rel.allocation,
      referenceCapital: rel.referenceCapital,
      startedAt: rel.startedAt,
      lastReplicatedAt: rel.lastReplicatedAt,
      pendingLeaderEvents:
        rel.status === "stopped"
          ? 0
          : Math.max(0, (lastSeq.get(`leader:${rel.leaderId}`) ?? 0) - rel.lastLeaderSeq),
      openPositions: mine.filter((h) => !D(h.qty).isZero()).length,
      pnl: pnlParts(mine, m),
      skipped: countBy.get(rel.id)?.skipped ?? 0,
      reduced: countBy.get(rel.id)?.reduced ?? 0,
      executionErrors: errBy.get(rel.id) ?? 0,
      asOf: now,
    };
  });
}

export const copyIdInput = z.object({ id: z.string().uuid("That is not a copy id.") });

/** One copy in full, for its owner only: null for anyone else (the router answers NOT_FOUND). */
export async function copyDetail(db: Db, userId: string, id: string, now: Date = new Date()) {
  const [row] = await db
    .select({ rel: copyRelationships, leader: leaders })
    .from(copyRelationships)
    .innerJoin(leaders, eq(leaders.id, copyRelationships.leaderId))
    .where(and(eq(copyRelationships.id, id), eq(copyRelationships.followerId, userId)));
  if (!row) return null;
  const { rel, leader } = row;
  const held = await db
    .select()
    .from(copyPositions)
    .where(eq(copyPositions.relationshipId, id))
    .orderBy(asc(copyPositions.symbol));
  const lpos = await db
    .select({ symbol: leaderPositions.symbol, qty: leaderPositions.qty })
    .from(leaderPositions)
    .where(eq(leaderPositions.leaderId, rel.leaderId));
  const symRatios = await db
    .select()
    .from(copySymbolRatios)
    .where(eq(copySymbolRatios.relationshipId, id));
  const symbols = [
    ...new Set([
      ...held.map((h) => h.symbol),
      ...lpos.filter((l) => !D(l.qty).isZero()).map((l) => l.symbol),
    ]),
  ].sort();
  const m = await marks(db, symbols);
  const working = await db
    .select({ symbol: orders.symbol, side: orders.side, qty: orders.qty, filled: orders.filledQty })
    .from(orders)
    .where(
      and(
        eq(orders.relationshipId, id),
        inArray(orders.status, [
          "pending_submit",
          "submitted",
          "accepted",
          "partially_filled",
          "unknown",
          "pending_cancel",
        ]),
      ),
    );
  const positions = symbols.map((symbol) => {
    const h = held.find((x) => x.symbol === symbol);
    const leaderQty = lpos.find((l) => l.symbol === symbol)?.qty ?? "0";
    const spec = m.specs.get(symbol);
    const r =
      rel.sizingMode === "fixed_notional"
        ? (symRatios.find((s) => s.symbol === symbol)?.ratio ?? null)
        : rel.ratio;
    const target =
      rel.status === "stopped"
        ? rel.closeOnStop
          ? "0"
          : null
        : r && spec
          ? fmt(targetPosition({ ratio: r, leaderPosition: leaderQty, qtyStep: spec.qtyStep }))
          : D(leaderQty).isZero()
            ? "0"
            : null;
    const pending = working
      .filter((w) => w.symbol === symbol)
      .reduce(
        (a, w) =>
          a.plus(
            D(w.qty)
              .minus(w.filled)
              .times(w.side === "buy" ? 1 : -1),
          ),
        ZERO,
      );
    const qty = h?.qty ?? "0";
    const q = m.quotes.get(symbol);
    const parts = h ? pnlParts([h], m) : { total: "0", unrealized: "0", realized: "0", fees: "0" };
    return {
      symbol,
      qty,
      avgCost: h?.avgCost ?? "0",
      leaderQty,
      target,
      pendingQty: fmt(pending),
      inLine: target === null ? null : D(qty).plus(pending).eq(target),
      bid: q?.bid ?? null,
      ask: q?.ask ?? null,
      multiplier: spec?.multiplier ?? "1",
      currency: spec?.currency ?? "USD",
      ...parts,
    };
  });
  const decisions = await db
    .select({
      id: copyDecisions.id,
      at: copyDecisions.at,
      symbol: copyDecisions.symbol,
      target: copyDecisions.target,
      orderQty: copyDecisions.orderQty,
      action: copyDecisions.action,
      reason: copyDecisions.reason,
      checks: copyDecisions.checks,
      leaderFillId: copyDecisions.leaderFillId,
      leaderSide: leaderFills.side,
      leaderQty: leaderFills.qty,
      leaderPrice: leaderFills.price,
      leaderRecordedAt: leaderFills.recordedAt,
    })
    .from(copyDecisions)
    .leftJoin(
      leaderFills,
      and(
        eq(leaderFills.leaderId, rel.leaderId),
        eq(leaderFills.brokerTradeId, copyDecisions.leaderFillId),
      ),
    )
    .where(eq(copyDecisions.relationshipId, id))
    .orderBy(desc(copyDecisions.id))
    .limit(100);
  const recentOrders = await db
    .select({
      id: orders.id,
      symbol: orders.symbol,
      side: orders.side,
      type: orders.type,
      qty: orders.qty,
      filledQty: orders.filledQty,
      avgPrice: orders.avgPrice,
      status: orders.status,
      origin: orders.origin,
      rejectReason: orders.rejectReason,
      attempts: orders.attempts,
      createdAt: orders.createdAt,
      updatedAt: orders.updatedAt,
    })
    .from(orders)
    .where(eq(orders.relationshipId, id))
    .orderBy(desc(orders.createdAt))
    .limit(50);
  const [stream] = await db
    .select()
    .from(eventStreams)
    .where(eq(eventStreams.stream, `leader:${rel.leaderId}`));
  const latest = decisions.find((d) => d.leaderRecordedAt);
  const snaps = await db
    .select({
      day: equitySnapshots.day,
      equity: equitySnapshots.equity,
      netFlow: equitySnapshots.netFlow,
    })
    .from(equitySnapshots)
    .where(and(eq(equitySnapshots.ownerType, "copy"), eq(equitySnapshots.ownerId, id)))
    .orderBy(asc(equitySnapshots.day));
  const { series, flows } = toSeries(snaps);
  const funds = await availableToAllocate(db, rel.brokerAccountId, id);
  return {
    id: rel.id,
    leader: {
      id: leader.id,
      handle: leader.handle,
      name: leader.displayName,
      performanceFeePct: leader.performanceFeePct,
      copyable: leader.copyable,
    },
    status: rel.status,
    stopReason: rel.stopReason,
    stoppedAt: rel.stoppedAt,
    closeOnStop: rel.closeOnStop,
    sizingMode: rel.sizingMode,
    allocation: rel.allocation,
    factor: rel.factor,
    notional: rel.notional,
    ratio: rel.ratio,
    referenceCapital: rel.referenceCapital,
    limits: {
      copyStopLossPct: rel.copyStopLossPct,
      maxSymbolExposure: rel.maxSymbolExposure,
      maxOpenPositions: rel.maxOpenPositions,
      maxSlippageBps: rel.maxSlippageBps,
      dailyLossLimit: rel.dailyLossLimit,
    },
    onInsufficientFunds: rel.onInsufficientFunds,
    agreementVersion: rel.agreementVersion,
    consentedAt: rel.consentedAt,
    startedAt: rel.startedAt,
    health: {
      lastReplicatedAt: rel.lastReplicatedAt,
      pendingLeaderEvents:
        rel.status === "stopped" ? 0 : Math.max(0, (stream?.lastSeq ?? 0) - rel.lastLeaderSeq),
      lastLatencyMs: latest?.leaderRecordedAt
        ? Math.max(0, latest.at.getTime() - latest.leaderRecordedAt.getTime())
        : null,
    },
    positions,
    pnl: pnlParts(held, m),
    decisions,
    orders: recentOrders,
    executionErrors: recentOrders.filter(
      (o) => o.status === "rejected" || o.status === "unknown" || o.rejectReason,
    ),
    chart: chartSeries(snaps),
    performance: snaps.length >= 2 ? performanceSummary({ series, flows }) : null,
    funds,
    asOf: now,
  };
}

/**
 * Edits a copy's risk limits. Limits only ever gate increases (reductions always pass), so
 * a change takes effect at the next leader fill; the change is audited with old and new.
 */
export async function updateLimits(
  db: Db,
  userId: string,
  id: string,
  limits: RiskLimits,
  now: Date = new Date(),
) {
  return db.transaction(async (tx) => {
    const [rel] = await tx
      .select()
      .from(copyRelationships)
      .where(and(eq(copyRelationships.id, id), eq(copyRelationships.followerId, userId)))
      .for("update");
    if (!rel) return "NOT_FOUND" as const;
    if (rel.status === "stopped") return "STOPPED" as const;
    const next = {
      copyStopLossPct:
        limits.copyStopLossPct === null
          ? null
          : fmt(parseDecimal(limits.copyStopLossPct, "copyStopLossPct")),
      maxSymbolExposure:
        limits.maxSymbolExposure === null
          ? null
          : fmt(parseDecimal(limits.maxSymbolExposure, "maxSymbolExposure")),
      maxOpenPositions: limits.maxOpenPositions,
      maxSlippageBps: limits.maxSlippageBps,
      dailyLossLimit:
        limits.dailyLossLimit === null
          ? null
          : fmt(parseDecimal(limits.dailyLossLimit, "dailyLossLimit")),
    };
    await tx.update(copyRelationships).set(next).where(eq(copyRelationships.id, id));
    await tx.insert(auditLog).values({
      actorUserId: userId,
      action: "copy.limits_set",
      targetType: "copy",
      targetId: id,
      details: {
        before: {
          copyStopLossPct: rel.copyStopLossPct,
          maxSymbolExposure: rel.maxSymbolExposure,
          maxOpenPositions: rel.maxOpenPositions,
          maxSlippageBps: rel.maxSlippageBps,
          dailyLossLimit: rel.dailyLossLimit,
        },
        after: next,
      },
      at: now,
    });
    return "OK" as const;
  });
}

/** Owner check used by every copy mutation. */
export async function ownsCopy(db: Db, userId: string, id: string): Promise<boolean> {
  const [rel] = await db
    .select({ id: copyRelationships.id })
    .from(copyRelationships)
    .where(and(eq(copyRelationships.id, id), eq(copyRelationships.followerId, userId)));
  return Boolean(rel);
}
