import type { DeliveryRow } from "./event-delivery";
import type { EventDelivery } from "./faults";

/**
 * How an account's events are stored in paper_events. Each event keeps its own seq and its
 * own fault-injected delivery (the stream readEvents returns is unchanged), but a run of
 * consecutive events of one account that are delivered plainly (on time, once, in place)
 * is stored as ONE row: keyed by the run's last seq, its `event` the array of the events'
 * JSON. The acceptance and the fill of an order filled at placement were two rows per
 * order (two index entries, half of the events statement); they are one now (ADR 0041).
 * An event with any delivery fault keeps a row of its own, with its flags.
 *
 * Readers expand a stored row back into one DeliveryRow per event (`expandRows`) before
 * planDelivery, so paging, delays, reordering and drops work on exactly the rows they
 * always saw.
 */

/** An event as emitted: its JSON (with its seq) and how it will be delivered. */
export type EmittedEvent = {
  accountId: string;
  seq: number;
  json: Record<string, unknown>;
  at: Date;
  delivery: EventDelivery;
};

/** One paper_events row. `event` is one event's JSON, or an array of them (plain run). */
export type StoredEventRow = {
  accountId: string;
  seq: number;
  event: Record<string, unknown> | Array<Record<string, unknown>>;
  at: Date;
  deliverAt: number;
  dropped: boolean;
  copies: number;
  swapWithNext: boolean;
};

function isPlain(e: EmittedEvent): boolean {
  const d = e.delivery;
  return !d.dropped && d.copies === 1 && d.deliverAt === e.seq && !d.swapWithNext;
}

/**
 * The rows for events emitted in one transaction (any order of accounts; each account's
 * events in seq order, as nextSeq gave them).
 */
export function eventRows(events: readonly EmittedEvent[]): StoredEventRow[] {
  const out: StoredEventRow[] = [];
  // The open plain run of each account: its row is in `out`, extended in place.
  const open = new Map<string, { row: StoredEventRow; list: Array<Record<string, unknown>> }>();
  for (const e of events) {
    const run = open.get(e.accountId);
    if (isPlain(e) && run && run.row.seq + 1 === e.seq) {
      run.list.push(e.json);
      run.row.seq = e.seq;
      run.row.deliverAt = e.seq;
      run.row.at = e.at;
      continue;
    }
    const d = e.delivery;
    const row: StoredEventRow = {
      accountId: e.accountId,
      seq: e.seq,
      event: e.json,
      at: e.at,
      deliverAt: d.deliverAt,
      dropped: d.dropped,
      copies: d.copies,
      swapWithNext: d.swapWithNext,
    };
    out.push(row);
    if (isPlain(e)) {
      const list = [e.json];
      row.event = list;
      open.set(e.accountId, { row, list });
    } else open.delete(e.accountId);
  }
  // A run of one is stored as the event itself, as before.
  for (const r of out) if (Array.isArray(r.event) && r.event.length === 1) r.event = r.event[0]!;
  return out;
}

/**
 * Stored rows (in seq order) as one DeliveryRow per event, keeping only events after
 * `afterSeq` (a stored run's first events may be at or before the cursor).
 */
export function expandRows(
  rows: ReadonlyArray<DeliveryRow<Record<string, unknown> | Array<Record<string, unknown>>>>,
  afterSeq: number,
): DeliveryRow<Record<string, unknown>>[] {
  const out: DeliveryRow<Record<string, unknown>>[] = [];
  for (const r of rows) {
    if (!Array.isArray(r.event)) {
      out.push(r as DeliveryRow<Record<string, unknown>>);
      continue;
    }
    for (const e of r.event) {
      const seq = e.seq as number;
      if (seq <= afterSeq) continue;
      out.push({ seq, deliverAt: seq, dropped: false, copies: 1, swapWithNext: false, event: e });
    }
  }
  return out;
}
