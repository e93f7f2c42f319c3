import { sql } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { bulkInsert, recordset } from "./bulk";

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
 * concurrent writers to the same stream; the events are inserted in one statement.
 * Returns the seq given to each event, in input order.
 */
export async function appendEvents(tx: Executor, items: NewEvent[]): Promise<number[]> {
  if (items.length === 0) return [];
  const counts = new Map<string, number>();
  for (const e of items) counts.set(e.stream, (counts.get(e.stream) ?? 0) + 1);
  const streams = [...counts.keys()].sort();
  const n = streams.map((s) => counts.get(s)!);
  const rows = await tx.execute<{ stream: string; last_seq: string }>(sql`
    insert into event_streams (stream, last_seq)
    select v.stream, v.n from ${recordset(
      streams.map((stream, i) => ({ stream, n: n[i]! })),
      "stream text, n bigint",
    )}
    on conflict (stream) do update set last_seq = event_streams.last_seq + excluded.last_seq
    returning stream, last_seq`);
  const next = new Map<string, number>();
  for (const r of rows) next.set(r.stream, Number(r.last_seq) - counts.get(r.stream)! + 1);
  const seqs = items.map((e) => {
    const s = next.get(e.stream)!;
    next.set(e.stream, s + 1);
    return s;
  });
  await bulkInsert(
    tx,
    "events",
    {
      stream: "text",
      seq: "bigint",
      type: "text",
      payload: "jsonb",
      correlation_id: "text",
      at: "timestamptz",
    },
    items.map((e, i) => ({
      stream: e.stream,
      seq: seqs[i]!,
      type: e.type,
      payload: e.payload,
      correlation_id: e.correlationId ?? null,
      at: e.at,
    })),
  );
  return seqs;
}

export const leaderStream = (leaderId: string) => `leader:${leaderId}`;
export const copyStream = (relationshipId: string) => `copy:${relationshipId}`;
/** A leader's fan-out log: one `copy_decision` event per fan-out batch (ADR 0041). */
export const fanoutStream = (leaderId: string) => `fanout:${leaderId}`;
export const accountStream = (brokerAccountId: string) => `account:${brokerAccountId}`;
