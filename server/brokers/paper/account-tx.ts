import { eq } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { paperAccounts, paperEvents } from "../../../db/schema/paper-broker";
import { D, fmt, type Decimal } from "../../domain/money";
import { BrokerNotFoundError, type BrokerOrderEvent } from "../types";
import { decideEventDelivery, parseFaultState, type FaultConfig, type FaultState } from "./faults";
import type { CommissionSchedule } from "./pricing";
import { eventToJson } from "./rows";

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
 */
export class AccountTx {
  cash: Decimal;
  eventSeq: number;
  faultState: FaultState;
  readonly config: AccountConfig;

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

  /** Writes the event for `seq` (from nextSeq) with its fault-injected delivery. */
  async emit(event: BrokerOrderEvent): Promise<void> {
    const delivery = decideEventDelivery(
      this.faultState,
      this.config.faults ?? {},
      this.seed,
      this.id,
      event.seq,
    );
    await this.tx.insert(paperEvents).values({
      accountId: this.id,
      seq: event.seq,
      event: eventToJson(event),
      at: event.at,
      deliverAt: delivery.deliverAt,
      dropped: delivery.dropped,
      copies: delivery.copies,
      swapWithNext: delivery.swapWithNext,
    });
  }

  private async save(): Promise<void> {
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
