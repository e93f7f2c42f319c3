import { sql } from "drizzle-orm";
import type { Db } from "../../../db/client";

/**
 * Whether a pump pass at `at` could find work in an engine that was quiescent (its last pass
 * moved nothing) and has not been written to since: only the clock moved. Of a pass's
 * steps, only the claim of due orders (`execute/submit.ts#claimDueOrders`: pending or
 * unknown orders whose next attempt is not after the clock) looks at the clock; the leader
 * streams, the stopped copies and the broker's event stream (paper delivery is ordered by
 * sequence, not by time) are what the quiescent pass already saw. A requested cancel that
 * failed stays requested and is tried again on every pass, at the broker (where it may
 * consume an injected fault), so it counts as due too.
 *
 * The predicate is a superset of the two steps' own: any order not in a final state with a
 * cancel requested, and any pending or unknown order without a next attempt in the future.
 * A replay that skips the pass when this is false gets the same outcome with one statement
 * instead of a pass's dozen (ADR 0041); `replay.test.ts` runs scenarios both ways.
 */
export async function workDueAt(db: Db, at: Date): Promise<boolean> {
  const [row] = await db.execute<{ due: boolean }>(sql`
    select exists (
      select 1 from orders
       where status not in ('filled', 'cancelled', 'rejected', 'expired')
         and (cancel_requested_at is not null
              or (status in ('pending_submit', 'unknown')
                  and (next_attempt_at is null or next_attempt_at <= ${at.toISOString()}::timestamptz)))
    ) as due`);
  return row?.due === true;
}
