import type { Decimal } from "../../domain/money";
import type { BrokerOrderEvent } from "../types";
import type { AccountConfig } from "./account-tx";
import type { FaultState } from "./faults";
import type { BookSnapshot } from "./margin";
import type { Holding } from "./positions";
import type { Quote } from "./pricing";
import type { FillRow, OrderRow } from "./rows";
import type { Instrument } from "./validation";

export type PositionRow = { qty: string; avgCost: string };
export type NewOrderRow = Omit<OrderRow, "filledQty" | "avgPrice" | "commission">;

/**
 * Everything the order flow (placement.ts, matching.ts) may read or write on one locked
 * account. Two implementations:
 *
 * - `AccountTx` (account-tx.ts): one account, one transaction, every read and write is a
 *   statement at once (placeOrder, cancelOrder, onQuote).
 * - `BatchAccount` (batch.ts): many accounts in one transaction; reads come from sets
 *   loaded up front, writes are collected and flushed as multi-row statements
 *   (placeOrders).
 *
 * The order logic is written once against this interface, so both paths run the same
 * validation, matching, commission, position and fault code.
 */
export interface AccountStore {
  readonly id: string;
  readonly marginEnabled: boolean;
  readonly config: AccountConfig;
  cash: Decimal;
  faultState: FaultState;
  /** Reserves the next seq (ids of orders and trades are derived from it). */
  nextSeq(): number;
  /** Records the event for `seq` (from nextSeq) with its fault-injected delivery. */
  emit(event: BrokerOrderEvent): Promise<void>;

  instrument(symbol: string): Promise<Instrument | undefined>;
  quote(symbol: string): Promise<Quote | null>;
  liquidity(symbol: string): Promise<string | null>;
  /** Positions, working orders and marks (plus marks of `extraSymbols`) for buying power. */
  book(extraSymbols: string[]): Promise<BookSnapshot>;
  position(symbol: string): Promise<PositionRow | null>;
  findOrder(clientOrderId: string): Promise<OrderRow | null>;
  /** Sum of qty × price of the order's fills so far (null: none), exact. */
  priorNotional(orderId: string): Promise<string | null>;

  insertOrder(row: NewOrderRow): Promise<OrderRow>;
  /** Persists the fill progress already set on `order` (filledQty, avgPrice, status, commission, updatedAt). */
  updateOrderProgress(order: OrderRow): Promise<void>;
  insertFill(row: FillRow): Promise<void>;
  /** `prev` is what position() returned; a zero `next` removes the position. */
  writePosition(symbol: string, prev: PositionRow | null, next: Holding): Promise<void>;
}
