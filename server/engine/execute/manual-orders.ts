import { randomUUID } from "node:crypto";
import { and, eq } from "drizzle-orm";
import { auditLog, brokerAccounts, instruments, orders } from "../../../db/schema";
import { D, fmt, isOnStep, parseDecimal } from "../../domain/money";
import { CopyError } from "../copies/intents";
import type { EngineDeps } from "../deps";

export type ManualOrderInput = {
  brokerAccountId: string;
  userId: string;
  symbol: string;
  side: "buy" | "sell";
  type: "market" | "limit";
  qty: string;
  limitPrice?: string;
};

/**
 * A person's order (a leader's trade ticket): validated here with messages that name the
 * field, recorded as an intent, and sent by the worker through the same execution path as
 * every copy order. A leader's fills then reach followers like any other leader fill.
 */
export async function placeManualOrder(
  deps: EngineDeps,
  input: ManualOrderInput,
): Promise<{ orderId: string; clientOrderId: string }> {
  const [acct] = await deps.db
    .select()
    .from(brokerAccounts)
    .where(
      and(eq(brokerAccounts.id, input.brokerAccountId), eq(brokerAccounts.userId, input.userId)),
    );
  if (!acct) throw new CopyError("NOT_FOUND", "No such broker account.");
  const [inst] = await deps.db
    .select()
    .from(instruments)
    .where(eq(instruments.symbol, input.symbol));
  if (!inst) throw new CopyError("INVALID_SYMBOL", `symbol: unknown instrument ${input.symbol}.`);
  let qty;
  try {
    qty = parseDecimal(input.qty, "qty");
  } catch {
    throw new CopyError("INVALID_QTY", "qty: enter a quantity such as 10 or 0.5.");
  }
  if (qty.lte(0)) throw new CopyError("INVALID_QTY", "qty: must be greater than zero.");
  if (!isOnStep(qty, inst.qtyStep))
    throw new CopyError("INVALID_QTY", `qty: ${inst.symbol} trades in steps of ${inst.qtyStep}.`);
  if (qty.lt(inst.minQty))
    throw new CopyError("INVALID_QTY", `qty: the minimum for ${inst.symbol} is ${inst.minQty}.`);
  let limitPrice: string | null = null;
  if (input.type === "limit") {
    if (!input.limitPrice)
      throw new CopyError("INVALID_PRICE", "limitPrice: a limit order needs a price.");
    let p;
    try {
      p = parseDecimal(input.limitPrice, "limitPrice");
    } catch {
      throw new CopyError("INVALID_PRICE", "limitPrice: enter a price such as 190.25.");
    }
    if (p.lte(0)) throw new CopyError("INVALID_PRICE", "limitPrice: must be greater than zero.");
    if (!isOnStep(p, inst.tickSize))
      throw new CopyError(
        "INVALID_PRICE",
        `limitPrice: ${inst.symbol} prices move in ticks of ${inst.tickSize}.`,
      );
    if (D(p).times(qty).times(inst.multiplier).lt(inst.minNotional)) {
      throw new CopyError(
        "INVALID_QTY",
        `qty: the order is below the minimum notional of ${inst.minNotional} ${inst.currency}.`,
      );
    }
    limitPrice = fmt(p);
  }
  const now = deps.clock.now();
  const clientOrderId = `mn-${randomUUID()}`;
  const [row] = await deps.db
    .insert(orders)
    .values({
      clientOrderId,
      brokerAccountId: acct.id,
      symbol: inst.symbol,
      side: input.side,
      type: input.type,
      qty: fmt(qty),
      limitPrice,
      status: "pending_submit",
      origin: "manual",
      correlationId: clientOrderId,
      createdAt: now,
      updatedAt: now,
    })
    .returning({ id: orders.id });
  await deps.db.insert(auditLog).values({
    actorUserId: input.userId,
    action: "order.place",
    targetType: "order",
    targetId: row!.id,
    details: { ...input },
    at: now,
  });
  return { orderId: row!.id, clientOrderId };
}

/** Asks the worker to cancel one of the caller's orders. */
export async function requestCancelOrder(
  deps: EngineDeps,
  input: { orderId: string; userId: string },
): Promise<void> {
  const [row] = await deps.db
    .select({ order: orders })
    .from(orders)
    .innerJoin(brokerAccounts, eq(brokerAccounts.id, orders.brokerAccountId))
    .where(and(eq(orders.id, input.orderId), eq(brokerAccounts.userId, input.userId)));
  if (!row) throw new CopyError("NOT_FOUND", "No such order.");
  if (["filled", "cancelled", "rejected", "expired"].includes(row.order.status)) {
    throw new CopyError("INVALID_STATE", `The order is already ${row.order.status}.`);
  }
  const now = deps.clock.now();
  await deps.db
    .update(orders)
    .set({ cancelRequestedAt: now, updatedAt: now })
    .where(eq(orders.id, input.orderId));
  await deps.db.insert(auditLog).values({
    actorUserId: input.userId,
    action: "order.cancel_request",
    targetType: "order",
    targetId: input.orderId,
    at: now,
  });
}
