/** How far back charges are read for an account with none booked yet. */
const LOOKBACK_MS = 7 * 24 * 3600_000;
/** Re-read before the latest charge booked: a broker may post two fees out of order. */
const OVERLAP_MS = 3600_000;

/**
 * Where a read of an account's charges (brokers/types.ts `listCharges`) starts: an hour
 * before the latest one booked, or a week back when none is. Followers' accounts
 * (reconciliation) and leaders' (ingest/leader-charges.ts) read the same window; a charge
 * read twice is booked once either way.
 */
export function chargesReadFrom(latestBooked: Date | null | undefined, now: Date): Date {
  return latestBooked
    ? new Date(latestBooked.getTime() - OVERLAP_MS)
    : new Date(now.getTime() - LOOKBACK_MS);
}
