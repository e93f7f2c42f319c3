import { asc, eq } from "drizzle-orm";
import type { Db } from "../../../db/client";
import {
  accountBalances,
  copyDecisions,
  copyFees,
  copyPositions,
  copyRelationships,
  copySymbolRatios,
  instruments,
  leaderPositions,
} from "../../../db/schema";
import { D, fmt, ZERO } from "../../domain/money";
import { sizingTarget } from "../../domain/planner";
import { loadOrdersWithFills } from "../book/orders-with-fills";
import type { CallCounts } from "./counting-broker";
import type { Scenario } from "./scenario";

export type Report = {
  scenario: string;
  leader: { positions: Record<string, string> };
  followers: Record<string, FollowerReport>;
};

type FollowerReport = {
  status: "active" | "paused" | "stopped";
  cash: string;
  positions: Record<string, string>;
  targets: Record<string, string>;
  orders: Array<{
    clientOrderId: string;
    symbol: string;
    side: "buy" | "sell";
    qty: string;
    filledQty: string;
    avgPrice: string | null;
    status: string;
    origin: string;
    leaderFillId: string | null;
    rejectReason?: string;
  }>;
  fills: Array<{ clientOrderId: string; qty: string; price: string; fee: string }>;
  decisions: Array<{
    /** Null for a stop's closing decisions. */
    leaderFillId: string | null;
    symbol: string;
    target: string;
    orderQty: string;
    action: string;
    reason: string;
  }>;
  brokerCalls: CallCounts;
  fees: Array<{
    kind: "platform" | "management" | "performance";
    at: string;
    amount: string;
    period: string | null;
  }>;
  highWaterMark: string;
  feesAccrued: string;
};

/**
 * The report of replay-format.md, read back from the database the engine wrote. Position
 * and target maps list every symbol the leader or the follower has held, "0" when flat.
 */
export async function buildReport(
  db: Db,
  ctx: {
    scenario: Scenario;
    leaderId: string;
    followers: Map<string, { accountId: string; relationshipId: string }>;
    counts: Map<string, CallCounts>;
  },
): Promise<Report> {
  const leaderPos = await db
    .select()
    .from(leaderPositions)
    .where(eq(leaderPositions.leaderId, ctx.leaderId))
    .orderBy(asc(leaderPositions.symbol));
  const leaderMap = new Map(leaderPos.map((p) => [p.symbol, D(p.qty)]));
  const steps = new Map(
    (await db.select({ s: instruments.symbol, step: instruments.qtyStep }).from(instruments)).map(
      (i) => [i.s, i.step],
    ),
  );
  const report: Report = {
    scenario: ctx.scenario.name,
    leader: { positions: sortedRecord(leaderPos.map((p) => [p.symbol, fmt(p.qty)])) },
    followers: {},
  };

  for (const f of ctx.scenario.followers) {
    const { accountId, relationshipId } = ctx.followers.get(f.id)!;
    const [rel] = await db
      .select()
      .from(copyRelationships)
      .where(eq(copyRelationships.id, relationshipId));
    const [bal] = await db
      .select()
      .from(accountBalances)
      .where(eq(accountBalances.brokerAccountId, accountId));
    const pos = await db
      .select()
      .from(copyPositions)
      .where(eq(copyPositions.relationshipId, relationshipId));
    const posMap = new Map(pos.map((p) => [p.symbol, D(p.qty)]));
    const ratios = new Map(
      (
        await db
          .select()
          .from(copySymbolRatios)
          .where(eq(copySymbolRatios.relationshipId, relationshipId))
      ).map((r) => [r.symbol, r.ratio]),
    );
    const symbols = [...new Set([...leaderMap.keys(), ...posMap.keys()])].sort();
    const targets: Array<[string, string]> = symbols.map((s) => {
      if (rel!.status === "stopped") return [s, "0"];
      const ratio =
        rel!.sizingMode === "fixed_notional" ? (ratios.get(s) ?? "0") : (rel!.ratio ?? "0");
      return [
        s,
        fmt(
          sizingTarget({
            ratio,
            leaderPosition: leaderMap.get(s) ?? ZERO,
            qtyStep: steps.get(s) ?? "1",
          }),
        ),
      ];
    });
    const { orders: os, fills: fs } = await loadOrdersWithFills(db, {
      brokerAccountId: accountId,
    });
    const ds = await db
      .select()
      .from(copyDecisions)
      .where(eq(copyDecisions.relationshipId, relationshipId))
      .orderBy(asc(copyDecisions.leaderEventSeq), asc(copyDecisions.id));
    report.followers[f.id] = {
      status: rel!.status,
      cash: fmt(bal?.cash ?? f.cash),
      positions: sortedRecord(symbols.map((s) => [s, fmt(posMap.get(s) ?? ZERO)])),
      targets: sortedRecord(targets),
      orders: os.map((o) => ({
        clientOrderId: o.clientOrderId,
        symbol: o.symbol,
        side: o.side,
        qty: fmt(o.qty),
        filledQty: fmt(o.filledQty),
        avgPrice: o.avgPrice === null ? null : fmt(o.avgPrice),
        status: o.status,
        origin: o.origin,
        leaderFillId: o.leaderFillId,
        ...(o.rejectReason ? { rejectReason: o.rejectReason } : {}),
      })),
      fills: fs.map((x) => ({
        clientOrderId: x.order.clientOrderId,
        qty: fmt(x.qty),
        price: fmt(x.price),
        fee: fmt(x.fee),
      })),
      decisions: ds.map((d) => ({
        leaderFillId: d.leaderFillId,
        symbol: d.symbol,
        target: fmt(d.target),
        orderQty: fmt(d.orderQty),
        action: d.action,
        reason: d.reason,
      })),
      brokerCalls: ctx.counts.get(f.id) ?? { submit: 0, query: 0, cancel: 0 },
      fees: (
        await db
          .select()
          .from(copyFees)
          .where(eq(copyFees.relationshipId, relationshipId))
          .orderBy(asc(copyFees.id))
      ).map((x) => ({
        kind: x.kind,
        at: isoSeconds(x.at),
        amount: fmt(x.amount),
        period: x.period,
      })),
      highWaterMark: fmt(rel!.highWaterMark ?? rel!.referenceCapital),
      feesAccrued: fmt(rel!.feesAccrued),
    };
  }
  return report;
}

/** Times as the scenario writes them: ISO-8601 UTC, milliseconds only when there are some. */
function isoSeconds(d: Date): string {
  return d.toISOString().replace(".000Z", "Z");
}

function sortedRecord(entries: Array<[string, string]>): Record<string, string> {
  return Object.fromEntries([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
