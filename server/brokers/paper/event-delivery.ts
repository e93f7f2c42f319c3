/**
 * How the stored events of an account become the stream readEvents returns, under the
 * fault flags written with each event (see faults.ts). Pure.
 *
 * Rows are read in seq order from the cursor. A row not yet deliverable (delayed) stops
 * the page: the stream lags instead of skipping, so "cursor = highest seq seen" is always
 * safe. A dropped row is skipped for good (the reader sees a seq gap). A duplicated row is
 * emitted twice. A reordered row waits for the next row and is emitted right after it;
 * the pair is never split across pages.
 */

export type DeliveryRow<T> = {
  seq: number;
  deliverAt: number;
  dropped: boolean;
  copies: number;
  swapWithNext: boolean;
  event: T;
};

export type DeliveryPlan<T> = {
  events: T[];
  /** The rows given ran out before the page was complete: fetch more rows and plan again. */
  needMoreRows: boolean;
};

export function planDelivery<T>(
  rows: DeliveryRow<T>[],
  head: number,
  limit: number,
): DeliveryPlan<T> {
  const events: T[] = [];
  const emit = (r: DeliveryRow<T>) => {
    for (let c = 0; c < Math.max(1, r.copies); c++) events.push(r.event);
  };
  const deliverable = (r: DeliveryRow<T>) => r.deliverAt <= head;
  const lastSeq = rows.length > 0 ? rows[rows.length - 1]!.seq : null;
  const moreExist = lastSeq !== null && lastSeq < head;
  let count = 0;
  let i = 0;
  while (i < rows.length && count < limit) {
    const r = rows[i]!;
    if (!deliverable(r)) return { events, needMoreRows: false };
    if (r.dropped) {
      i += 1;
      continue;
    }
    if (r.swapWithNext) {
      const next = rows[i + 1];
      if (!next) return { events, needMoreRows: moreExist };
      if (!deliverable(next)) return { events, needMoreRows: false };
      if (!next.dropped) emit(next);
      emit(r);
      i += 2;
      count += 2;
      continue;
    }
    emit(r);
    i += 1;
    count += 1;
  }
  return { events, needMoreRows: i >= rows.length && count < limit && moreExist };
}
