import { sql } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { recordset } from "./bulk";

export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
export type Executor = Db | Tx;

export type NewEvent = {
  stream: string;
  type: string;
  payload: Record<string, unknown>;
  at: Date;
  correlationId?: string | null;
};

/**
 * Appends events with gapless per-stream sequence numbers. The sequence comes from one
 * upsert on `event_streams` per stream (multi-row for a fan-out), whose row lock orders
 * concurrent writers to the same stream; the events are inserted by the same statement,
 * numbered from the counters it returns (one round trip, not two: three per leader fill to
 * one follower). Returns the seq given to each event, in input order.
 */
export async function appendEvents(tx: Executor, items: NewEvent[]): Promise<number[]> {
  if (items.length === 0) return [];
  const counts = new Map<string, number>();
  // Each event's place among its stream's events in this call (1, 2, …), in input order.
  const place = items.map((e) => {
    const k = (counts.get(e.stream) ?? 0) + 1;
    counts.set(e.stream, k);
    return k;
  });
  const streams = [...counts.keys()].sort();
  const rows = await tx.execute<{ stream: string; last_seq: string }>(sql`
    with counters as (
      insert into event_streams (stream, last_seq)
      select v.stream, v.n from ${recordset(
        streams.map((stream) => ({ stream, n: counts.get(stream)! })),
        "stream text, n bigint",
      )}
      on conflict (stream) do update set last_seq = event_streams.last_seq + excluded.last_seq
      returning stream, last_seq
    ), added as (
      -- In input order, so that event ids follow it as before (readers that go by id).
      insert into events (stream, seq, type, payload, correlation_id, at)
      select v.stream, c.last_seq - v.n + v.k, v.type, v.payload, v.correlation_id, v.at
        from ${recordset(
          items.map((e, i) => ({
            i,
            stream: e.stream,
            n: counts.get(e.stream)!,
            k: place[i]!,
            type: e.type,
            payload: e.payload,
            correlation_id: e.correlationId ?? null,
            at: e.at,
          })),
          "i integer, stream text, n bigint, k bigint, type text, payload jsonb, correlation_id text, at timestamptz",
        )}
        join counters c on c.stream = v.stream
       order by v.i
    )
    select stream, last_seq from counters`);
  const last = new Map<string, number>();
  for (const r of rows) last.set(r.stream, Number(r.last_seq));
  return items.map((e, i) => last.get(e.stream)! - counts.get(e.stream)! + place[i]!);
}

export const leaderStream = (leaderId: string) => `leader:${leaderId}`;
export const copyStream = (relationshipId: string) => `copy:${relationshipId}`;
/** A leader's fan-out log: one `copy_decision` event per fan-out batch (ADR 0041). */
export const fanoutStream = (leaderId: string) => `fanout:${leaderId}`;
export const accountStream = (brokerAccountId: string) => `account:${brokerAccountId}`;
