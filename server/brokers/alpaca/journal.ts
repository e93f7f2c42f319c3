import { and, asc, eq, gt, sql } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { alpacaStreamEvents } from "../../../db/schema/alpaca";
import type { BrokerFill, BrokerOrderEvent } from "../types";

/**
 * The per-account event journal behind AlpacaBroker.readEvents (docs/adr/0020).
 *
 * Alpaca's trade_updates carry no sequence number, so the adapter numbers events itself:
 * an event gets the next seq the first time the adapter learns of it, from whichever comes
 * first — its own REST answer (`reserve`: placeOrder said "filled", cancelOrder said
 * "canceled") or the stream (`deliver`). readEvents serves only what the stream (or a
 * catch-up after a disconnect) delivered, as many times as it was delivered. So an update
 * the stream lost while connected shows as a seq gap — the seam's signal to reconcile —
 * and a duplicated message comes twice with the same seq, exactly as the seam describes.
 */

type Json = Record<string, unknown>;

function toJson(e: BrokerOrderEvent): Json {
  return JSON.parse(JSON.stringify(e)) as Json;
}

function fromJson(j: Json, seq: number): BrokerOrderEvent {
  const fill = j.fill as (Omit<BrokerFill, "at"> & { at: string }) | undefined;
  const e = { ...(j as unknown as BrokerOrderEvent), seq, at: new Date(j.at as string) };
  if (fill) e.fill = { ...fill, at: new Date(fill.at) };
  else delete e.fill;
  if (j.reason === undefined) delete e.reason;
  return e;
}

export function eventKey(orderId: string, type: string, cumQty?: string): string {
  return type === "partially_filled" || type === "filled"
    ? `${orderId}:fill:${cumQty}`
    : `${orderId}:${type}`;
}

export class EventJournal {
  constructor(private readonly db: Db) {}

  /**
   * Records that the event exists (seq reserved), without delivering it. `event` may be
   * given when known in full; it is kept only if the stream has not already written it.
   */
  async reserve(accountId: string, key: string, event?: BrokerOrderEvent): Promise<void> {
    await this.upsert(accountId, key, event ?? null, 0);
  }

  /** The stream delivered it (once more). Returns its seq. */
  async deliver(accountId: string, key: string, event: BrokerOrderEvent): Promise<number> {
    return this.upsert(accountId, key, event, 1);
  }

  /** Known keys (reserved or delivered) — what a catch-up must not number again. */
  async has(accountId: string, key: string): Promise<boolean> {
    const rows = await this.db
      .select({ seq: alpacaStreamEvents.seq })
      .from(alpacaStreamEvents)
      .where(
        and(eq(alpacaStreamEvents.accountId, accountId), eq(alpacaStreamEvents.eventKey, key)),
      );
    return rows.length > 0;
  }

  private async upsert(
    accountId: string,
    key: string,
    event: BrokerOrderEvent | null,
    deliveries: number,
  ): Promise<number> {
    return this.db.transaction(async (tx) => {
      // One writer per account at a time: seqs stay gapless under concurrent workers.
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${"alpaca:" + accountId}))`);
      const [existing] = await tx
        .select({ seq: alpacaStreamEvents.seq, event: alpacaStreamEvents.event })
        .from(alpacaStreamEvents)
        .where(
          and(eq(alpacaStreamEvents.accountId, accountId), eq(alpacaStreamEvents.eventKey, key)),
        );
      if (existing) {
        // The first full description wins: a duplicate is delivered identical.
        const keep = existing.event ?? (event ? toJson({ ...event, seq: existing.seq }) : null);
        await tx
          .update(alpacaStreamEvents)
          .set({
            event: keep,
            delivered: sql`${alpacaStreamEvents.delivered} + ${deliveries}`,
          })
          .where(
            and(
              eq(alpacaStreamEvents.accountId, accountId),
              eq(alpacaStreamEvents.seq, existing.seq),
            ),
          );
        return existing.seq;
      }
      const [{ next }] = (await tx.execute(
        sql`select coalesce(max(seq), 0) + 1 as next from alpaca_stream_events where account_id = ${accountId}`,
      )) as unknown as [{ next: string | number }];
      const seq = Number(next);
      await tx.insert(alpacaStreamEvents).values({
        accountId,
        seq,
        eventKey: key,
        event: event ? toJson({ ...event, seq }) : null,
        delivered: deliveries,
      });
      return seq;
    });
  }

  /** Delivered events with seq > afterSeq, in seq order, each as often as it was delivered. */
  async read(accountId: string, afterSeq: number, limit: number): Promise<BrokerOrderEvent[]> {
    const rows = await this.db
      .select()
      .from(alpacaStreamEvents)
      .where(
        and(
          eq(alpacaStreamEvents.accountId, accountId),
          gt(alpacaStreamEvents.seq, afterSeq),
          gt(alpacaStreamEvents.delivered, 0),
        ),
      )
      .orderBy(asc(alpacaStreamEvents.seq))
      .limit(limit);
    const out: BrokerOrderEvent[] = [];
    for (const r of rows) {
      if (!r.event) continue;
      for (let i = 0; i < r.delivered && out.length < limit; i++)
        out.push(fromJson(r.event, r.seq));
      if (out.length >= limit) break;
    }
    return out;
  }

  /** When the last delivered event happened: where a catch-up after a restart starts. */
  async lastDeliveredAt(accountId: string): Promise<Date | null> {
    const rows = await this.db
      .select({ event: alpacaStreamEvents.event })
      .from(alpacaStreamEvents)
      .where(and(eq(alpacaStreamEvents.accountId, accountId), gt(alpacaStreamEvents.delivered, 0)))
      .orderBy(sql`${alpacaStreamEvents.seq} desc`)
      .limit(1);
    const at = rows[0]?.event?.at;
    return typeof at === "string" ? new Date(at) : null;
  }
}
