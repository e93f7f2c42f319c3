import { and, eq, inArray } from "drizzle-orm";
import { instruments, quotes } from "../../../db/schema/instruments";
import { paperLiquidity, paperOrders, paperPositions } from "../../../db/schema/paper-broker";
import { D, type Decimal } from "../../domain/money";
import type { Side } from "../types";
import type { Tx } from "./account-tx";
import type { BookSnapshot, MarkInfo } from "./margin";
import type { Quote } from "./pricing";
import { OPEN_STATUSES, type OrderRow } from "./rows";
import type { Instrument } from "./validation";

type Exec = Pick<Tx, "select">;

type BookPosition = { symbol: string; qty: string; avgCost: string };
type BookOrder = Pick<OrderRow, "symbol" | "side" | "qty" | "filledQty" | "limitPrice">;
type MarkSource = Pick<Instrument, "symbol" | "multiplier" | "maxLeverage">;

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
  const symbols = bookSymbols(positions, open, extraSymbols);
  let ins: MarkSource[] = [];
  const q = new Map<string, { bid: string; ask: string }>();
  if (symbols.length > 0) {
    ins = await db.select().from(instruments).where(inArray(instruments.symbol, symbols));
    const qs = await db.select().from(quotes).where(inArray(quotes.symbol, symbols));
    for (const x of qs) q.set(x.symbol, x);
  }
  return buildBook(cash, marginEnabled, positions, open, ins, q);
}

/** The symbols whose marks a book needs. */
export function bookSymbols(
  positions: Array<{ symbol: string }>,
  open: Array<{ symbol: string }>,
  extraSymbols: string[],
): string[] {
  return [
    ...new Set([...positions.map((p) => p.symbol), ...open.map((o) => o.symbol), ...extraSymbols]),
  ];
}

/**
 * The snapshot from rows (pure): `open` are the working orders in (createdAt, id) order,
 * `ins` the instruments of bookSymbols() that exist, `q` their latest quotes.
 */
export function buildBook(
  cash: Decimal,
  marginEnabled: boolean,
  positions: BookPosition[],
  open: BookOrder[],
  ins: MarkSource[],
  q: Map<string, { bid: string; ask: string }>,
): BookSnapshot {
  const marks = new Map<string, MarkInfo>();
  for (const i of ins) {
    marks.set(i.symbol, {
      multiplier: i.multiplier,
      maxLeverage: i.maxLeverage,
      bid: q.get(i.symbol)?.bid ?? null,
      ask: q.get(i.symbol)?.ask ?? null,
    });
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

export async function selectInstrument(db: Exec, symbol: string): Promise<Instrument | undefined> {
  const [row] = await db.select().from(instruments).where(eq(instruments.symbol, symbol));
  return row;
}

export async function selectQuote(db: Exec, symbol: string): Promise<Quote | null> {
  const [q] = await db.select().from(quotes).where(eq(quotes.symbol, symbol));
  return q ? { bid: q.bid, ask: q.ask, at: q.at } : null;
}

export async function selectLiquidity(db: Exec, symbol: string): Promise<string | null> {
  const [row] = await db.select().from(paperLiquidity).where(eq(paperLiquidity.symbol, symbol));
  return row?.maxFillQty ?? null;
}

export async function selectOrder(
  db: Exec,
  accountId: string,
  clientOrderId: string,
): Promise<OrderRow | null> {
  const [row] = await db
    .select()
    .from(paperOrders)
    .where(and(eq(paperOrders.accountId, accountId), eq(paperOrders.clientOrderId, clientOrderId)));
  return row ?? null;
}
