import { and, asc, eq, gt, inArray, sql } from "drizzle-orm";
import type { Db } from "../../../db/client";
import {
  copyDecisions,
  copyFees,
  copyPositions,
  copyRelationships,
  events,
  instruments,
  leaderCharges,
  quotes,
} from "../../../db/schema";
import { attributeDifference, type Attribution } from "../../domain/attribution";
import { D, fmt, ZERO, type Decimal } from "../../domain/money";
import type { Quote } from "../../domain/valuation";
import { loadOrdersWithFills } from "../book/orders-with-fills";

/**
 * Loads one copy's decisions, fills, the leader's stream since the copy started, fees and
 * quotes, and splits the difference (server/domain/attribution.ts). The caller checks that
 * the asker may see this copy.
 */
export async function loadAttribution(
  db: Db,
  relationshipId: string,
): Promise<{ attribution: Attribution; currency: string } | null> {
  const [rel] = await db
    .select()
    .from(copyRelationships)
    .where(eq(copyRelationships.id, relationshipId));
  if (!rel) return null;
  const copyEvents = await db
    .select()
    .from(events)
    .where(eq(events.stream, `copy:${relationshipId}`))
    .orderBy(asc(events.seq));
  const started = copyEvents.find((e) => e.type === "copy_started")?.payload ?? {};
  const startRatio = (started.ratio as string | null | undefined) ?? rel.ratio;
  // Copies started before copy_started carried the leader's equity: the equity its ratio
  // was fixed on (allocation / ratio), else the reference capital (a 1:1 reading).
  const leaderStartEquity =
    (started.leaderEquity as string | undefined) ??
    (rel.sizingMode === "proportional" && rel.allocation && startRatio && !D(startRatio).isZero()
      ? fmt(D(rel.allocation).div(startRatio))
      : rel.referenceCapital);
  const fromSeq = Number(started.leaderSeq ?? 0);
  const stopSeq = rel.status === "stopped" ? rel.lastLeaderSeq : null;
  const leaderRows = await db
    .select()
    .from(events)
    .where(
      and(
        eq(events.stream, `leader:${rel.leaderId}`),
        gt(events.seq, fromSeq),
        inArray(events.type, ["leader_fill", "leader_cash"]),
        ...(stopSeq !== null ? [sql`${events.seq} <= ${stopSeq}`] : []),
        ...(started.leaderSeq === undefined ? [sql`${events.at} >= ${rel.startedAt}`] : []),
      ),
    )
    .orderBy(asc(events.seq));
  // Commissions the leader's broker posted apart from the fills (ADR 0020) are the leader's
  // costs too: each order's are added to its first fill here, so the leader's side of the
  // comparison is after every cost, as the copy's is (its charges are among its fills).
  const leaderOrders = [
    ...new Set(
      leaderRows
        .filter((e) => e.type === "leader_fill")
        .map((e) => String((e.payload as Record<string, string>).orderId)),
    ),
  ];
  const charges = new Map<string, Decimal>();
  if (leaderOrders.length)
    for (const c of await db
      .select({ orderId: leaderCharges.brokerOrderId, amount: leaderCharges.amount })
      .from(leaderCharges)
      .where(
        and(
          eq(leaderCharges.leaderId, rel.leaderId),
          inArray(leaderCharges.brokerOrderId, leaderOrders),
        ),
      ))
      charges.set(c.orderId, (charges.get(c.orderId) ?? ZERO).plus(c.amount));
  const leaderEvents = leaderRows.map((e) => {
    const p = e.payload as Record<string, string>;
    if (e.type === "leader_cash")
      return { type: "cash" as const, equityAfter: p.equityAfter ?? "0", at: e.at };
    const qty = D(p.qty!);
    const charged = charges.get(p.orderId!);
    charges.delete(p.orderId!);
    return {
      type: "fill" as const,
      fillId: p.fillId!,
      symbol: p.symbol!,
      qty: p.side === "sell" ? qty.neg() : qty,
      price: p.price!,
      commission: charged ? fmt(charged.plus(p.commission ?? "0")) : (p.commission ?? "0"),
      positionBefore: p.positionBefore ?? "0",
      positionAfter: p.positionAfter ?? "0",
      at: e.at,
    };
  });
  const { orders: os, fills: fs } = await loadOrdersWithFills(db, { relationshipId });
  const ds = await db
    .select()
    .from(copyDecisions)
    .where(eq(copyDecisions.relationshipId, relationshipId))
    .orderBy(asc(copyDecisions.leaderEventSeq), asc(copyDecisions.id));
  const held = await db
    .select()
    .from(copyPositions)
    .where(eq(copyPositions.relationshipId, relationshipId));
  const fees = await db
    .select({ amount: copyFees.amount })
    .from(copyFees)
    .where(eq(copyFees.relationshipId, relationshipId));
  const symbols = [
    ...new Set([
      ...held.map((h) => h.symbol),
      ...os.map((o) => o.symbol),
      ...leaderEvents.flatMap((e) => (e.type === "fill" ? [e.symbol] : [])),
    ]),
  ];
  const specs = symbols.length
    ? await db.select().from(instruments).where(inArray(instruments.symbol, symbols))
    : [];
  const qs = symbols.length
    ? await db.select().from(quotes).where(inArray(quotes.symbol, symbols))
    : [];
  const allocationChanges = copyEvents
    .filter((e) => e.type === "copy_allocation_set")
    .map((e) => ({
      at: e.at,
      allocation: String(e.payload.allocation),
      ratio: (e.payload.ratio as string | null) ?? null,
    }));

  const attribution = attributeDifference({
    capital: rel.referenceCapital,
    leaderStartEquity,
    sizing: {
      mode: rel.sizingMode,
      startRatio: startRatio ?? null,
      allocation:
        rel.sizingMode === "proportional" ? (allocationAtStart(started) ?? rel.allocation) : null,
      notional: rel.notional,
    },
    multipliers: new Map(specs.map((i) => [i.symbol, i.multiplier])),
    quotes: new Map<string, Quote>(qs.map((q) => [q.symbol, q])),
    leaderEvents,
    allocationChanges,
    decisions: ds.map((d) => ({
      leaderFillId: d.leaderFillId,
      symbol: d.symbol,
      target: d.target,
      reason: d.reason,
      clientOrderId: d.clientOrderId,
    })),
    orders: os.map((o) => ({
      clientOrderId: o.clientOrderId,
      origin: o.origin,
      leaderFillId: o.leaderFillId,
    })),
    fills: fs.map((f) => ({
      clientOrderId: f.order.clientOrderId,
      symbol: f.order.symbol,
      qty: f.order.side === "sell" ? D(f.qty).neg() : f.qty,
      price: f.price,
      commission: f.fee,
    })),
    feesCharged: fees,
    positions: held,
  });
  return { attribution, currency: specs[0]?.currency ?? "USD" };
}

function allocationAtStart(started: Record<string, unknown>): string | null {
  const s = started.sizing as { allocation?: string } | undefined;
  return s?.allocation ?? null;
}
