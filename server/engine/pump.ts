import { sql } from "drizzle-orm";
import { consumeBrokerEvents } from "./book/broker-events";
import { consumeBrokerEventsMany } from "./book/broker-events-batch";
import { sendRequestedCancels, settleStoppedCopies } from "./copies/stops";
import { forEachLimit } from "./core/concurrency";
import type { EngineDeps } from "./deps";
import { nextRetryAt, releaseClaims, submitDueOrders, type Claimed } from "./execute/submit";
import { reconcile } from "./reconcile/reconcile";
import { leadersWithPendingEvents, replicateLeader } from "./replicate/replicate";

/**
 * One pass of the engine's work loop, repeated until nothing moves: replicate leader
 * streams, submit due orders, read broker events. The worker runs it on a timer; replays
 * run it after every scenario event. Returns the units of work done.
 */
export async function pump(
  deps: EngineDeps,
  opts: {
    accounts?: () => Promise<string[]>;
    maxRounds?: number;
    /**
     * Ends the pass at the next step once aborted (a shutdown, a benchmark's deadline): a
     * backlog of thousands of rows is otherwise worked through before anyone can stop it.
     * Every step commits what it did, so stopping between steps leaves nothing half done.
     */
    signal?: AbortSignal;
  } = {},
): Promise<number> {
  let total = 0;
  const stopped = () => opts.signal?.aborted === true;
  for (let round = 0; round < (opts.maxRounds ?? 1000); round++) {
    let progress = 0;
    // The copy orders the fan-outs insert claimed and hand to this pass's submission, so
    // that no claim statement has to find and mark them again (ADR 0041, session 11).
    const fresh: Claimed[] = [];
    try {
      // Leaders side by side (each under its own lease, as several workers would take them);
      // 1 in replays, so their order of work stays fixed.
      await forEachLimit(
        await leadersWithPendingEvents(deps),
        deps.config.leaderConcurrency ?? 1,
        async (leaderId) => {
          if (stopped()) return;
          // Not `progress += await …`: that reads `progress` before the wait and so loses
          // what other leaders add meanwhile.
          const done = await replicateLeader(deps, leaderId, {
            maxEvents: deps.config.replicateEventsPerPass,
            fresh,
          });
          progress += done;
        },
      );
    } catch (err) {
      // Committed orders this pass will not send go back to every worker's claim at once,
      // rather than waiting for reconciliation to find them unsent.
      await releaseClaims(deps, fresh);
      throw err;
    }
    if (stopped()) {
      await releaseClaims(deps, fresh);
      return total + progress;
    }
    progress += await settleStoppedCopies(deps);
    progress += await submitDueOrders(deps, { fresh });
    progress += await sendRequestedCancels(deps);
    if (stopped()) return total + progress;
    const accounts = opts.accounts ? await opts.accounts() : await accountsToPoll(deps);
    // Brokers with a batch read get one read for all accounts; the rest go one by one.
    const { read, rest } = await consumeBrokerEventsMany(deps, accounts);
    progress += read;
    await forEachLimit(rest, deps.config.accountConcurrency, async (id) => {
      const read = await consumeBrokerEvents(deps, id);
      progress += read;
    });
    total += progress;
    if (progress === 0) break;
  }
  return total;
}

/** Accounts whose broker events matter now: live orders, or a leader's trading account. */
export async function accountsToPoll(deps: EngineDeps): Promise<string[]> {
  const rows = await deps.db.execute<{ id: string }>(sql`
    select distinct broker_account_id as id from orders where status not in ('filled','cancelled','rejected','expired')
    union
    select broker_account_id from leaders
    order by 1`);
  return rows.map((r) => r.id);
}

/**
 * Runs everything still pending to completion: waiting retries are run by moving a manual
 * clock to their due time (`advanceTo`), unknown outcomes resolved, then one final
 * reconciliation and the work it creates.
 */
export async function drain(
  deps: EngineDeps,
  opts: { advanceTo: (at: Date) => void; accounts?: () => Promise<string[]> },
): Promise<void> {
  for (let i = 0; i < 10_000; i++) {
    await pump(deps, opts);
    const due = await nextRetryAt(deps.db);
    if (!due) break;
    if (due > deps.clock.now()) opts.advanceTo(due);
  }
  await reconcile(deps, "drain");
  for (let i = 0; i < 10_000; i++) {
    await pump(deps, opts);
    const due = await nextRetryAt(deps.db);
    if (!due) break;
    if (due > deps.clock.now()) opts.advanceTo(due);
  }
}
