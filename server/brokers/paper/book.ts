import { and, eq, inArray } from "drizzle-orm";
import { instruments, quotes } from "../../../db/schema/instruments";
import { paperOrders, paperPositions } from "../../../db/schema/paper-broker";
import { D, type Decimal } from "../../domain/money";
import type { Side } from "../types";
import type { Tx } from "./account-tx";
import type { BookSnapshot, MarkInfo } from "./margin";
import { OPEN_STATUSES } from "./rows";

type Exec = Pick<Tx, "select">;

/** Loads what buying power and equity need: positions, working orders, marks. */
export async function loadBook(
  db: Exec,
  accountId: string,
  cash: Decimal,
  marginEnabled: boolean,
  extraSymbols: string[] = [],
): Promise<BookSnapshot> {
  const positions = await db
    .select()
    .from(paperPositions)
    .where(eq(paperPositions.accountId, accountId));
  const open = await db
    .select()
    .from(paperOrders)
    .where(and(eq(paperOrders.accountId, accountId), inArray(paperOrders.status, OPEN_STATUSES)))
    .orderBy(paperOrders.createdAt, paperOrders.id);
  const symbols = [
    ...new Set([...positions.map((p) => p.symbol), ...open.map((o) => o.symbol), ...extraSymbols]),
  ];
  const marks = new Map<string, MarkInfo>();
  if (symbols.length > 0) {
    const ins = await db.select().from(instruments).where(inArray(instruments.symbol, symbols));
    const qs = await db.select().from(quotes).where(inArray(quotes.symbol, symbols));
    const q = new Map(qs.map((x) => [x.symbol, x]));
    for (const i of ins) {
      marks.set(i.symbol, {
        multiplier: i.multiplier,
        maxLeverage: i.maxLeverage,
        bid: q.get(i.symbol)?.bid ?? null,
        ask: q.get(i.symbol)?.ask ?? null,
      });
    }
  }
  return {
    cash,
    marginEnabled,
    positions: positions
      .filter((p) => !D(p.qty).isZero())
      .map((p) => ({ symbol: p.symbol, qty: D(p.qty), avgCost: D(p.avgCost) })),
    openOrders: open.map((o) => ({
      symbol: o.symbol,
      side: o.side as Side,
      remaining: D(o.qty).minus(o.filledQty),
      limitPrice: o.limitPrice,
    })),
    marks,
  };
}
