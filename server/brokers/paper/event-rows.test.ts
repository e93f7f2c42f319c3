import { describe, expect, it } from "vitest";
import { createRng } from "../../domain/random";
import { planDelivery, type DeliveryRow } from "./event-delivery";
import { eventRows, expandRows, type EmittedEvent } from "./event-rows";

const plain = (seq: number) => ({
  dropped: false,
  copies: 1 as 1 | 2,
  deliverAt: seq,
  swapWithNext: false,
});

function emitted(accountId: string, seq: number, delivery = plain(seq)): EmittedEvent {
  return { accountId, seq, json: { seq, accountId }, at: new Date(seq * 1000), delivery };
}

/** The rows as stored before runs were merged: one per event, with its own flags. */
function oneRowEach(events: EmittedEvent[]): DeliveryRow<Record<string, unknown>>[] {
  return events.map((e) => ({ seq: e.seq, ...e.delivery, event: e.json }));
}

describe("eventRows", () => {
  it("stores a plain run of one account as one row keyed by its last seq", () => {
    const rows = eventRows([emitted("A", 1), emitted("B", 5), emitted("A", 2), emitted("B", 6)]);
    expect(
      rows.map((r) => [r.accountId, r.seq, Array.isArray(r.event) ? r.event.length : 1]),
    ).toEqual([
      ["A", 2, 2],
      ["B", 6, 2],
    ]);
    expect(rows[0]!.deliverAt).toBe(2);
    expect(rows[0]!.at).toEqual(new Date(2000));
  });

  it("gives an event with a delivery fault a row of its own, which ends the run", () => {
    const rows = eventRows([
      emitted("A", 1),
      emitted("A", 2),
      emitted("A", 3, { ...plain(3), dropped: true }),
      emitted("A", 4),
      emitted("A", 5, { ...plain(5), deliverAt: 7 }),
      emitted("A", 6, { ...plain(6), swapWithNext: true }),
      emitted("A", 7, { ...plain(7), copies: 2 }),
      emitted("A", 8),
    ]);
    expect(rows.map((r) => [r.seq, Array.isArray(r.event) ? r.event.length : 1])).toEqual([
      [2, 2],
      [3, 1],
      [4, 1],
      [5, 1],
      [6, 1],
      [7, 1],
      [8, 1],
    ]);
    // A run of one is the event itself, as a row was before runs were stored together.
    expect(rows[2]!.event).toEqual({ seq: 4, accountId: "A" });
    expect(rows[4]!.swapWithNext).toBe(true);
  });

  it("reads back as exactly the stream of one row per event, for every cursor and page size", () => {
    const rng = createRng("event-rows");
    for (let round = 0; round < 200; round++) {
      const events: EmittedEvent[] = [];
      const n = 1 + Math.floor(rng.next() * 12);
      for (let seq = 1; seq <= n; seq++) {
        const u = rng.next();
        const d = plain(seq);
        if (u < 0.1) d.dropped = true;
        else if (u < 0.2) d.copies = 2;
        else if (u < 0.3) d.deliverAt = seq + 1 + Math.floor(rng.next() * 3);
        else if (u < 0.4) d.swapWithNext = true;
        events.push(emitted("A", seq, d));
      }
      // Written by several transactions: each stores its own events (and moves the head).
      const stored: DeliveryRow<Record<string, unknown> | Array<Record<string, unknown>>>[] = [];
      let from = 0;
      while (from < n) {
        const to = Math.min(n, from + 1 + Math.floor(rng.next() * 5));
        for (const r of eventRows(events.slice(from, to)))
          stored.push({
            seq: r.seq,
            deliverAt: r.deliverAt,
            dropped: r.dropped,
            copies: r.copies,
            swapWithNext: r.swapWithNext,
            event: r.event,
          });
        from = to;
        const head = to;
        const reference = oneRowEach(events.slice(0, head));
        for (let after = 0; after <= head; after++) {
          // As the reader queries: stored rows with seq > after (all are <= head), expanded.
          const read = expandRows(
            stored.filter((r) => r.seq > after),
            after,
          );
          const ref = reference.filter((r) => r.seq > after);
          expect(read).toEqual(ref);
          for (const limit of [1, 2, 3, 100])
            expect(planDelivery(read, head, limit)).toEqual(planDelivery(ref, head, limit));
        }
      }
    }
  });
});
