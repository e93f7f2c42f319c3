import { asc, eq, inArray } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { fills, orders } from "../../../db/schema";

type Order = typeof orders.$inferSelect;
type Fill = typeof fills.$inferSelect;

/**
 * The orders of one copy (or of one broker account) with their fills, each fill carrying its
 * order: what the books say was sent and what came back, for readers that explain a copy
 * (attribution, the replay report). Orders by creation, fills by time, each with a tie-break,
 * so that two reads of the same books list them the same way.
 */
export async function loadOrdersWithFills(
  db: Db,
  of: { relationshipId: string } | { brokerAccountId: string },
): Promise<{ orders: Order[]; fills: Array<Fill & { order: Order }> }> {
  const os = await db
    .select()
    .from(orders)
    .where(
      "relationshipId" in of
        ? eq(orders.relationshipId, of.relationshipId)
        : eq(orders.brokerAccountId, of.brokerAccountId),
    )
    .orderBy(asc(orders.createdAt), asc(orders.clientOrderId));
  if (!os.length) return { orders: os, fills: [] };
  const orderOf = new Map(os.map((o) => [o.id, o]));
  const fs = await db
    .select()
    .from(fills)
    .where(
      inArray(
        fills.orderId,
        os.map((o) => o.id),
      ),
    )
    .orderBy(asc(fills.filledAt), asc(fills.brokerTradeId));
  return { orders: os, fills: fs.map((f) => ({ ...f, order: orderOf.get(f.orderId)! })) };
}
