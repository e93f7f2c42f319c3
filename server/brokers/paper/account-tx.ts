import { and, eq, sql } from "drizzle-orm";
import type { Db } from "../../../db/client";
import {
  paperAccounts,
  paperEvents,
  paperFills,
  paperOrders,
  paperPositions,
} from "../../../db/schema/paper-broker";
import { D, fmt, type Decimal } from "../../domain/money";
import { BrokerNotFoundError, type BrokerOrderEvent } from "../types";
import type { AccountStore, NewOrderRow, PositionRow } from "./account-store";
import { loadBook, selectInstrument, selectLiquidity, selectOrder, selectQuote } from "./book";
import { eventRows, type EmittedEvent } from "./event-rows";
import { decideEventDelivery, parseFaultState, type FaultConfig, type FaultState } from "./faults";
import type { BookSnapshot } from "./margin";
import type { Holding } from "./positions";
import type { CommissionSchedule, Quote } from "./pricing";
import { eventToJson, type FillRow, type OrderRow } from "./rows";
import type { Instrument } from "./validation";

export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

/** Per-account settings, stored in paper_accounts.config. */
export type AccountConfig = {
  slippageBps?: string;
  commission?: CommissionSchedule;
  faults?: FaultConfig;
};

/**
 * One unit of work on one account, inside a transaction holding the account row lock
 * (SELECT … FOR UPDATE). The lock is what serializes concurrent callers: every write to
 * an account's orders, fills, positions, cash and events happens under it, so the
 * clientOrderId check, the gapless seq and the cash arithmetic cannot race.
 *
 * As an AccountStore every read and write is one statement, issued at once.
 */
export class AccountTx implements AccountStore {
  cash: Decimal;
  eventSeq: number;
  faultState: FaultState;
  readonly config: AccountConfig;
  private readonly events: EmittedEvent[] = [];

  private constructor(
    readonly tx: Tx,
    readonly id: string,
    readonly currency: string,
    readonly marginEnabled: boolean,
    row: typeof paperAccounts.$inferSelect,
    private readonly seed: number | string,
  ) {
    this.cash = D(row.cash);
    this.eventSeq = row.eventSeq;
    this.faultState = parseFaultState(row.faultState);
    this.config = row.config as AccountConfig;
  }

  static async run<T>(
    db: Db,
    accountId: string,
    seed: number | string,
    fn: (a: AccountTx) => Promise<T>,
  ): Promise<T> {
    return db.transaction(async (tx) => {
      const [row] = await tx
        .select()
        .from(paperAccounts)
        .where(eq(paperAccounts.id, accountId))
        .for("update");
      if (!row) throw new BrokerNotFoundError(`unknown paper account ${accountId}`);
      const a = new AccountTx(tx, accountId, row.currency, row.marginEnabled, row, seed);
      const result = await fn(a);
      await a.save();
      return result;
    });
  }

  /** Reserves the next seq (ids of orders and trades are derived from it). */
  nextSeq(): number {
    this.eventSeq += 1;
    return this.eventSeq;
  }

  /**
   * Records the event for `seq` (from nextSeq) with its fault-injected delivery; the
   * unit's events are written together at its end (event-rows.ts: a plain run is one row).
   */
  async emit(event: BrokerOrderEvent): Promise<void> {
    this.events.push({
      accountId: this.id,
      seq: event.seq,
      json: eventToJson(event),
      at: event.at,
      delivery: decideEventDelivery(
        this.faultState,
        this.config.faults ?? {},
        this.seed,
        this.id,
        event.seq,
      ),
    });
  }

  instrument(symbol: string): Promise<Instrument | undefined> {
    return selectInstrument(this.tx, symbol);
  }

  quote(symbol: string): Promise<Quote | null> {
    return selectQuote(this.tx, symbol);
  }

  liquidity(symbol: string): Promise<string | null> {
    return selectLiquidity(this.tx, symbol);
  }

  book(extraSymbols: string[]): Promise<BookSnapshot> {
    return loadBook(this.tx, this.id, this.cash, this.marginEnabled, extraSymbols);
  }

  async position(symbol: string): Promise<PositionRow | null> {
    const [row] = await this.tx
      .select({ qty: paperPositions.qty, avgCost: paperPositions.avgCost })
      .from(paperPositions)
      .where(and(eq(paperPositions.accountId, this.id), eq(paperPositions.symbol, symbol)));
    return row ?? null;
  }

  findOrder(clientOrderId: string): Promise<OrderRow | null> {
    return selectOrder(this.tx, this.id, clientOrderId);
  }

  async priorNotional(orderId: string): Promise<string | null> {
    const [prior] = await this.tx
      .select({ notional: sql<string | null>`sum(${paperFills.qty} * ${paperFills.price})` })
      .from(paperFills)
      .where(eq(paperFills.orderId, orderId));
    return prior?.notional ?? null;
  }

  async insertOrder(row: NewOrderRow): Promise<OrderRow> {
    const [order] = await this.tx.insert(paperOrders).values(row).returning();
    return order!;
  }

  async updateOrderProgress(order: OrderRow): Promise<void> {
    await this.tx
      .update(paperOrders)
      .set({
        filledQty: order.filledQty,
        avgPrice: order.avgPrice,
        status: order.status,
        commission: order.commission,
        updatedAt: order.updatedAt,
      })
      .where(eq(paperOrders.id, order.id));
  }

  async insertFill(row: FillRow): Promise<void> {
    await this.tx.insert(paperFills).values(row);
  }

  async writePosition(symbol: string, prev: PositionRow | null, next: Holding): Promise<void> {
    const where = and(eq(paperPositions.accountId, this.id), eq(paperPositions.symbol, symbol));
    if (next.qty.isZero()) {
      if (prev) await this.tx.delete(paperPositions).where(where);
    } else if (prev) {
      await this.tx
        .update(paperPositions)
        .set({ qty: fmt(next.qty), avgCost: fmt(next.avgCost) })
        .where(where);
    } else {
      await this.tx
        .insert(paperPositions)
        .values({ accountId: this.id, symbol, qty: fmt(next.qty), avgCost: fmt(next.avgCost) });
    }
  }

  private async save(): Promise<void> {
    if (this.events.length > 0) {
      // The column's declared type is one event's JSON; a stored run is an array of them.
      const rows = eventRows(this.events) as Array<typeof paperEvents.$inferInsert>;
      await this.tx.insert(paperEvents).values(rows);
    }
    await this.tx
      .update(paperAccounts)
      .set({
        cash: fmt(this.cash),
        eventSeq: this.eventSeq,
        faultState: this.faultState as unknown as Record<string, unknown>,
      })
      .where(eq(paperAccounts.id, this.id));
  }
}
