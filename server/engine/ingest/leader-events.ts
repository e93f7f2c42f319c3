import { and, eq, sql } from "drizzle-orm";
import {
  instruments,
  leaderBooks,
  leaderCharges,
  leaderFills,
  leaderPositions,
} from "../../../db/schema";
import { D, fmt, parseDecimal, sign } from "../../domain/money";
import { tripOnLeaderFillRate } from "../risk/breakers";
import type { EngineDeps } from "../deps";
import { leaderEquity } from "./leader-book";
import { appendEvents, leaderStream, type Tx } from "../core/streams";

export type LeaderFillInput = {
  leaderId: string;
  /** The leader broker's trade id: the dedupe key. */
  fillId: string;
  orderId: string;
  symbol: string;
  side: "buy" | "sell";
  qty: string;
  price: string;
  /** What the leader's broker charged: the leader's book, like a follower's, is after costs. */
  commission?: string;
  at: Date;
};

export type LeaderFillEvent = {
  fillId: string;
  orderId: string;
  symbol: string;
  side: "buy" | "sell";
  qty: string;
  price: string;
  commission?: string;
  positionBefore: string;
  positionAfter: string;
};

/**
 * Appends a leader fill to the leader's stream exactly once per broker trade id, and
 * updates the leader's position and cash in the same transaction. Leader fills are facts:
 * they are accepted as reported, even off the followers' quantity step. Returns the
 * event's seq, or null for a fill seen before.
 */
export async function ingestLeaderFill(
  deps: EngineDeps,
  f: LeaderFillInput,
): Promise<number | null> {
  const seq = await appendLeaderFill(deps, f);
  if (seq !== null) await tripOnLeaderFillRate(deps, f.leaderId);
  return seq;
}

/**
 * Locks the leader's book row, creating it (empty) first if the leader has none yet: one
 * round trip when it exists, as it does from the leader's first fill or cash on.
 */
async function lockLeaderBook(tx: Tx, leaderId: string, at: Date): Promise<void> {
  const lock = () =>
    tx.execute(sql`select 1 from leader_books where leader_id = ${leaderId} for update`);
  if ((await lock()).length > 0) return;
  await tx.insert(leaderBooks).values({ leaderId, cash: "0", updatedAt: at }).onConflictDoNothing();
  await lock();
}

async function appendLeaderFill(deps: EngineDeps, f: LeaderFillInput): Promise<number | null> {
  const qty = parseDecimal(f.qty, "qty");
  const price = parseDecimal(f.price, "price");
  if (qty.lte(0)) throw new Error(`leader fill ${f.fillId}: qty must be positive`);
  if (price.lte(0)) throw new Error(`leader fill ${f.fillId}: price must be positive`);
  const commission = parseDecimal(f.commission ?? "0", "commission");
  const signed = f.side === "buy" ? qty : qty.neg();
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    // The book row lock serializes ingestion per leader, so positions chain correctly.
    await lockLeaderBook(tx, f.leaderId, now);
    // Read together, under the lock: one round trip instead of three.
    const [seen, [inst], [pos]] = await Promise.all([
      tx
        .select({ id: leaderFills.id })
        .from(leaderFills)
        .where(and(eq(leaderFills.leaderId, f.leaderId), eq(leaderFills.brokerTradeId, f.fillId))),
      tx.select().from(instruments).where(eq(instruments.symbol, f.symbol)),
      tx
        .select()
        .from(leaderPositions)
        .where(and(eq(leaderPositions.leaderId, f.leaderId), eq(leaderPositions.symbol, f.symbol))),
    ]);
    if (seen.length > 0) return null;
    if (!inst) throw new Error(`leader fill ${f.fillId}: unknown instrument ${f.symbol}`);
    const before = D(pos?.qty ?? 0);
    const after = before.plus(signed);
    const payload: LeaderFillEvent = {
      fillId: f.fillId,
      orderId: f.orderId,
      symbol: f.symbol,
      side: f.side,
      qty: fmt(qty),
      price: fmt(price),
      commission: fmt(commission),
      positionBefore: fmt(before),
      positionAfter: fmt(after),
    };
    const [seq] = await appendEvents(tx, [
      {
        stream: leaderStream(f.leaderId),
        type: "leader_fill",
        payload,
        at: f.at,
        correlationId: `lf:${f.fillId}`,
      },
    ]);
    const opensEpisode = before.isZero() || (sign(before) !== sign(after) && !after.isZero());
    const cashDelta = signed.times(price).times(inst.multiplier).neg().minus(commission);
    // Three writes of rows locked or new to this transaction, sent at once (one round trip).
    await Promise.all([
      tx
        .insert(leaderPositions)
        .values({ leaderId: f.leaderId, symbol: f.symbol, qty: fmt(after), openedAtSeq: seq! })
        .onConflictDoUpdate({
          target: [leaderPositions.leaderId, leaderPositions.symbol],
          set: { qty: fmt(after), ...(opensEpisode ? { openedAtSeq: seq! } : {}) },
        }),
      tx
        .update(leaderBooks)
        .set({ cash: sql`${leaderBooks.cash} + ${fmt(cashDelta)}::numeric`, updatedAt: now })
        .where(eq(leaderBooks.leaderId, f.leaderId)),
      tx.insert(leaderFills).values({
        leaderId: f.leaderId,
        brokerTradeId: f.fillId,
        brokerOrderId: f.orderId,
        symbol: f.symbol,
        side: f.side,
        qty: fmt(qty),
        price: fmt(price),
        positionAfter: fmt(after),
        eventSeq: seq!,
        filledAt: f.at,
        recordedAt: now,
      }),
    ]);
    deps.log.info(
      {
        correlationId: `lf:${f.fillId}`,
        leaderId: f.leaderId,
        seq,
        symbol: f.symbol,
        positionAfter: fmt(after),
      },
      "leader fill ingested",
    );
    return seq!;
  });
}

/**
 * A leader deposit (positive) or withdrawal. Proportional ratios are re-fixed from the
 * equity after it, in stream order, so the event carries that equity. Every path that moves
 * a leader's money (the dashboard's funding, a replay's `cash`, a broker transfer) comes
 * here: a ratio not re-fixed sizes followers by the old equity.
 */
export async function ingestLeaderCash(
  deps: EngineDeps,
  leaderId: string,
  amount: string,
  at: Date,
): Promise<number> {
  return deps.db.transaction((tx) => appendLeaderCash(deps, tx, leaderId, amount, at));
}

/** ingestLeaderCash inside the caller's transaction (funding writes both in one). */
export async function appendLeaderCash(
  deps: EngineDeps,
  tx: Tx,
  leaderId: string,
  amount: string,
  at: Date,
): Promise<number> {
  const delta = parseDecimal(amount, "amount");
  await lockLeaderBook(tx, leaderId, at);
  await tx
    .update(leaderBooks)
    .set({ cash: sql`${leaderBooks.cash} + ${fmt(delta)}::numeric`, updatedAt: deps.clock.now() })
    .where(eq(leaderBooks.leaderId, leaderId));
  const equityAfter = await leaderEquity(tx, leaderId);
  const [seq] = await appendEvents(tx, [
    {
      stream: leaderStream(leaderId),
      type: "leader_cash",
      payload: { amount: fmt(delta), equityAfter: fmt(equityAfter) },
      at,
    },
  ]);
  return seq!;
}

/** A commission the leader's broker posted apart from the fill (brokers/types.ts, a charge). */
export type LeaderChargeInput = {
  leaderId: string;
  /** The broker's id of the charge: the dedupe key. */
  chargeId: string;
  /** The broker's id of the order it was charged on. */
  orderId: string;
  symbol: string;
  /** What was taken, positive. */
  amount: string;
  at: Date;
};

/**
 * Takes a charge from the leader book's cash exactly once per broker charge id, with a
 * `leader_charge` event on the leader's stream as its record. Not a `leader_cash` event: a
 * cost is not a deposit or a withdrawal, so it re-fixes no ratio (DESIGN.md: ratios are never
 * re-fixed by P&L), and nothing fans out. Returns the event's seq, or null for a charge seen
 * before.
 */
export async function ingestLeaderCharge(
  deps: EngineDeps,
  c: LeaderChargeInput,
): Promise<number | null> {
  const amount = parseDecimal(c.amount, "amount");
  if (amount.lte(0)) throw new Error(`leader charge ${c.chargeId}: amount must be positive`);
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    await lockLeaderBook(tx, c.leaderId, now);
    const seen = await tx
      .select({ id: leaderCharges.id })
      .from(leaderCharges)
      .where(
        and(eq(leaderCharges.leaderId, c.leaderId), eq(leaderCharges.brokerChargeId, c.chargeId)),
      );
    if (seen.length > 0) return null;
    const [seq] = await appendEvents(tx, [
      {
        stream: leaderStream(c.leaderId),
        type: "leader_charge",
        payload: {
          chargeId: c.chargeId,
          orderId: c.orderId,
          symbol: c.symbol,
          amount: fmt(amount),
        },
        at: c.at,
      },
    ]);
    await Promise.all([
      tx
        .update(leaderBooks)
        .set({ cash: sql`${leaderBooks.cash} - ${fmt(amount)}::numeric`, updatedAt: now })
        .where(eq(leaderBooks.leaderId, c.leaderId)),
      tx.insert(leaderCharges).values({
        leaderId: c.leaderId,
        brokerChargeId: c.chargeId,
        brokerOrderId: c.orderId,
        symbol: c.symbol,
        amount: fmt(amount),
        eventSeq: seq!,
        chargedAt: c.at,
        recordedAt: now,
      }),
    ]);
    deps.log.info(
      { leaderId: c.leaderId, seq, chargeId: c.chargeId, amount: fmt(amount) },
      "leader charge booked",
    );
    return seq!;
  });
}
