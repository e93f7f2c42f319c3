import { and, asc, eq, gt, inArray, isNotNull, sql } from "drizzle-orm";
import { copyRelationships, events, replicationCursors } from "../../../db/schema";
import { D, fmt } from "../../domain/money";
import { proportionalRatio } from "../../domain/sizing";
import type { EngineDeps } from "../deps";
import { fanOutBatch } from "./fanout";
import type { Claimed } from "../execute/submit";
import type { LeaderFillEvent } from "../ingest/leader-events";
import { claimLease, releaseLease, underLease, type Lease } from "./lease";
import { recordset } from "../core/bulk";
import { forEachLimit, splitEvenly } from "../core/concurrency";
import { leaderStream, type Tx } from "../core/streams";

/**
 * Brings every follower of one leader up to the end of the leader's stream, strictly in
 * stream order, under a lease so that only one worker does it at a time. Returns the
 * number of leader events completed. `maxEvents` stops after that many (the worker's loop
 * passes `replicateEventsPerPass`, so that orders already planned are sent and booked
 * before a long backlog of fills is planned to its end).
 */
export async function replicateLeader(
  deps: EngineDeps,
  leaderId: string,
  opts: {
    maxEvents?: number;
    /**
     * Where the caller takes the new copy orders it will send itself, each batch's once its
     * transaction has committed (fanout.ts `handOver`; the pump passes them to
     * `submitDueOrders`). Without it they wait, `pending_submit`, for any worker's claim.
     */
    fresh?: Claimed[];
  } = {},
): Promise<number> {
  const page = Math.min(100, opts.maxEvents ?? 100);
  const lease = await claimLease(
    deps.db,
    `leader:${leaderId}`,
    deps.owner,
    deps.clock.now(),
    deps.config.leaseTtlMs,
  );
  if (!lease) return 0;
  let done = 0;
  try {
    for (;;) {
      // The events after the cursor, the cursor read in the same statement (one round trip).
      const pending = await deps.db
        .select()
        .from(events)
        .where(
          and(
            eq(events.stream, leaderStream(leaderId)),
            gt(
              events.seq,
              sql`coalesce((select ${replicationCursors.lastSeq} from ${replicationCursors} where ${replicationCursors.leaderId} = ${leaderId}), 0)`,
            ),
          ),
        )
        .orderBy(asc(events.seq))
        .limit(Math.min(page, (opts.maxEvents ?? Infinity) - done));
      if (pending.length === 0) break;
      for (const ev of pending) {
        await processEvent(deps, lease, leaderId, ev, opts.fresh);
        done++;
      }
      // A short page was the end of the stream: no second look (two round trips per fill).
      if (pending.length < page || done >= (opts.maxEvents ?? Infinity)) break;
    }
  } finally {
    await releaseLease(deps.db, lease, deps.owner);
  }
  return done;
}

async function processEvent(
  deps: EngineDeps,
  lease: Lease,
  leaderId: string,
  ev: typeof events.$inferSelect,
  fresh: Claimed[] | undefined,
): Promise<void> {
  // Fan-out in batches, each its own transaction; the cursor moves only when none is left.
  // Side by side first when allowed (one look at the pending ids, a millisecond or two;
  // starting only after a first full batch cost 50-150 ms at 10 000), then what is too
  // little to split, one batch at a time.
  // A batch's orders reach `fresh` only after its transaction has committed (below).
  const batch = (tx: Tx, only?: readonly string[]) =>
    fanOutBatch(
      deps,
      tx,
      leaderId,
      ev.seq,
      ev.payload as unknown as LeaderFillEvent,
      ev.at,
      only,
      fresh !== undefined,
    );
  const handOver = (list: readonly Claimed[]) => {
    if (fresh) for (const c of list) fresh.push(c);
  };
  if (ev.type === "leader_fill" && (deps.config.fanoutConcurrency ?? 1) > 1)
    await fanOutInParts(deps, lease, leaderId, ev.seq, batch, handOver);
  const moveCursor = (tx: Tx) =>
    tx
      .insert(replicationCursors)
      .values({ leaderId, lastSeq: ev.seq, updatedAt: deps.clock.now() })
      .onConflictDoUpdate({
        target: replicationCursors.leaderId,
        set: { lastSeq: ev.seq, updatedAt: deps.clock.now() },
      });
  for (;;) {
    let made: readonly Claimed[] = [];
    const step = await deps.db.transaction((tx) =>
      underLease(tx, lease, async () => {
        if (ev.type === "leader_fill") {
          const { covered, fresh: orders } = await batch(tx);
          made = orders;
          // A batch short of the batch size was the last one (under the lease nobody else
          // fans this fill out, and a copy started now begins after it): the cursor moves in
          // its transaction, not after one more, empty batch and a transaction of its own
          // (seven round trips of a one-follower fan-out's twenty-odd).
          if (covered < deps.config.fanoutBatchSize) {
            await moveCursor(tx);
            return "done";
          }
          return "more";
        }
        if (ev.type === "leader_cash") {
          const covered = await refixProportionalRatios(
            deps,
            tx,
            leaderId,
            ev.seq,
            String(ev.payload.equityAfter),
          );
          return covered === 0 ? "empty" : "more";
        }
        return "empty";
      }),
    );
    handOver(made);
    if (step === "done") return;
    if (step === "empty") break;
  }
  await deps.db.transaction((tx) => underLease(tx, lease, () => moveCursor(tx)));
}

/**
 * A leader fill's fan-out with several batches at once (`fanoutConcurrency`), each its own
 * transaction over its own followers: while PostgreSQL writes one batch, Node plans the
 * next (ADR 0041, session 9 figures). Batches are disjoint by construction: the ids are
 * read first and handed out, and one leader has at most one live copy per follower, so no
 * two batches plan for the same account. The one row they share, the leader's fan-out
 * stream counter, is written last in each. A batch that fails throws, as a batch of the
 * one-at-a-time loop does, once the others are done; the next pass picks up what it left.
 */
async function fanOutInParts(
  deps: EngineDeps,
  lease: Lease,
  leaderId: string,
  seq: number,
  batch: (tx: Tx, only: readonly string[]) => Promise<{ covered: number; fresh: Claimed[] }>,
  handOver: (list: readonly Claimed[]) => void,
): Promise<void> {
  const size = deps.config.fanoutBatchSize;
  const n = deps.config.fanoutConcurrency ?? 1;
  for (;;) {
    const ids = (
      await deps.db
        .select({ id: copyRelationships.id })
        .from(copyRelationships)
        .where(
          and(
            eq(copyRelationships.leaderId, leaderId),
            inArray(copyRelationships.status, ["active", "paused"]),
            sql`${copyRelationships.lastLeaderSeq} < ${seq}`,
          ),
        )
        .orderBy(asc(copyRelationships.createdAt), asc(copyRelationships.id))
        .limit(size * n)
    ).map((r) => r.id);
    // A small remainder is left to the loop: one transaction is cheaper than two.
    const parts = splitEvenly(ids, n);
    if (parts.length < 2) return;
    await forEachLimit(parts, parts.length, async (only) => {
      const { fresh } = await deps.db.transaction((tx) =>
        underLease(tx, lease, () => batch(tx, only)),
      );
      handOver(fresh);
    });
  }
}

/**
 * A leader deposit or withdrawal changes leader equity, so r = allocation / equity is
 * fixed again from the equity right after it (DESIGN.md: never re-fixed by P&L alone).
 */
async function refixProportionalRatios(
  deps: EngineDeps,
  tx: Tx,
  leaderId: string,
  seq: number,
  equityAfter: string,
): Promise<number> {
  const rels = await tx
    .select({ id: copyRelationships.id, allocation: copyRelationships.allocation })
    .from(copyRelationships)
    .where(
      and(
        eq(copyRelationships.leaderId, leaderId),
        inArray(copyRelationships.status, ["active", "paused"]),
        eq(copyRelationships.sizingMode, "proportional"),
        isNotNull(copyRelationships.allocation),
        sql`${copyRelationships.lastLeaderSeq} < ${seq}`,
      ),
    )
    .limit(deps.config.fanoutBatchSize);
  if (rels.length === 0) {
    // Non-proportional copies only need their cursor moved past the event.
    const moved = await tx
      .update(copyRelationships)
      .set({ lastLeaderSeq: seq })
      .where(
        and(
          eq(copyRelationships.leaderId, leaderId),
          sql`${copyRelationships.lastLeaderSeq} < ${seq}`,
        ),
      )
      .returning({ id: copyRelationships.id });
    return moved.length;
  }
  const equity = D(equityAfter);
  const ids = rels.map((r) => r.id);
  const ratios = rels.map((r) =>
    equity.gt(0) ? fmt(proportionalRatio(r.allocation!, equity)) : "0",
  );
  await tx.execute(sql`
    update copy_relationships c
       set ratio = v.ratio, ratio_fixed_at = ${deps.clock.now().toISOString()}::timestamptz, last_leader_seq = ${seq}
      from ${recordset(
        ids.map((id, i) => ({ id, ratio: ratios[i]! })),
        "id uuid, ratio numeric",
      )}
     where c.id = v.id`);
  return rels.length;
}

/** Leaders whose stream has events not yet replicated: the worker's to-do list. */
export async function leadersWithPendingEvents(deps: EngineDeps): Promise<string[]> {
  const rows = await deps.db.execute<{ leader_id: string }>(sql`
    select l.id as leader_id
      from leaders l
      join event_streams s on s.stream = 'leader:' || l.id::text
      left join replication_cursors c on c.leader_id = l.id
     where s.last_seq > coalesce(c.last_seq, 0)
     order by l.id`);
  return rows.map((r) => r.leader_id);
}
