import { randomUUID } from "node:crypto";
import { and, eq } from "drizzle-orm";
import {
  accountBalances,
  auditLog,
  brokerAccounts,
  instruments,
  orders,
  quotes,
} from "../../../db/schema";
import { priceCollarProblem } from "../../domain/inputs";
import { D, fmt, isOnStep, parseDecimal } from "../../domain/money";
import { orderEstimate } from "../../domain/order-estimate";
import { isMarketOpen } from "../../market/hours";
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
  await refuseWhatTheBrokerWould(deps, acct.id, inst, input.side, qty, limitPrice, now);
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

/**
 * The refusals a person should get before "sent" rather than from the broker a moment later,
 * for every caller alike (the leader's ticket, a follower's portfolio, the strategy API): a
 * closed market, a limit far from the market (a typo every follower would copy), no price to
 * value a market order, and a buy that costs more than the account's cash. The browser runs the
 * same rules first (components/trade-ticket.tsx); these are the ones it cannot be trusted with.
 */
async function refuseWhatTheBrokerWould(
  deps: EngineDeps,
  brokerAccountId: string,
  inst: typeof instruments.$inferSelect,
  side: "buy" | "sell",
  qty: ReturnType<typeof D>,
  limitPrice: string | null,
  now: Date,
): Promise<void> {
  if (!isMarketOpen(inst, now))
    throw new CopyError(
      "MARKET_CLOSED",
      `symbol: the market for ${inst.symbol} is closed now, so the broker would refuse the order. Try again when it opens.`,
    );
  const [quote] = await deps.db.select().from(quotes).where(eq(quotes.symbol, inst.symbol));
  if (limitPrice) {
    const problem = priceCollarProblem(limitPrice, quote);
    if (problem)
      throw new CopyError("INVALID_PRICE", `limitPrice: ${problem.replace(/^Limit price:? /, "")}`);
  }
  const est = orderEstimate(
    { ...inst, bid: quote?.bid ?? null, ask: quote?.ask ?? null },
    side,
    qty,
    limitPrice,
  );
  if (!est)
    throw new CopyError(
      "NO_PRICE",
      `symbol: there is no price for ${inst.symbol} yet, so a market order cannot be valued; try again shortly.`,
    );
  if (side !== "buy") return;
  const [bal] = await deps.db
    .select({ cash: accountBalances.cash, currency: accountBalances.currency })
    .from(accountBalances)
    .where(eq(accountBalances.brokerAccountId, brokerAccountId));
  // No balance on record yet (a broker account just connected): the broker decides.
  if (bal && est.total.gt(bal.cash))
    throw new CopyError(
      "INSUFFICIENT_FUNDS",
      `qty: this would cost about ${est.total.toFixed(2)} ${inst.currency}; the account's buying power is ${D(bal.cash).toFixed(2)} ${bal.currency}.`,
    );
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
