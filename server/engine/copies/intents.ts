import { and, eq, inArray, sql } from "drizzle-orm";
import {
  accountBalances,
  auditLog,
  brokerAccounts,
  copyPositions,
  copyRelationships,
  instruments,
  leaders,
  orders,
  replicationCursors,
  users,
} from "../../../db/schema";
import { groupDigits } from "../../domain/inputs";
import { D, type Decimal, fmt, maxDec, parseDecimal } from "../../domain/money";
import { transition } from "../../domain/order-state";
import { proportionalRatio, type SizingMode } from "../../domain/sizing";
import type { EngineDeps } from "../deps";
import { feeTermsForNewCopy, recordCopyFeeTerms } from "../fees/schedule";
import { leaderEquity } from "../ingest/leader-book";
import { appendEvents, copyStream, leaderStream, type Executor } from "../core/streams";

export type CopyTerms = {
  id?: string;
  followerId: string;
  leaderId: string;
  brokerAccountId: string;
  sizing: { mode: SizingMode; allocation?: string; factor?: string; notional?: string };
  risk?: {
    copyStopLossPct?: string | null;
    maxSymbolExposure?: string | null;
    maxOpenPositions?: number | null;
    maxSlippageBps?: number | null;
    dailyLossLimit?: string | null;
    /** While the leader is flagged for a strategy change (ADR 0035); default notify. */
    onLeaderFlag?: "notify" | "pause_increases";
  };
  onInsufficientFunds?: "reduce" | "skip";
  /** The agreed fees (replay-format.md, "Fees"); absent ones are no fee. */
  fees?: {
    performanceFeePct?: string | null;
    managementFeePctYear?: string | null;
    platformFeeBps?: string | null;
    period?: "month" | "quarter";
  };
  agreementVersion: string;
  copyOpenPositions?: boolean;
};

export class CopyError extends Error {
  constructor(
    public readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Every change to the copy graph (a new copy) takes this one transaction-scoped lock, so
 * "is there a cycle, is there already a live copy, is there money for it" and the insert are
 * one step: parallel starts are serialized instead of each seeing the graph before the others.
 */
export const COPY_GRAPH_LOCK_KEY = 7_314_001;

/** Who did it, for the audit row: `user:<uuid>` names a person; anything else is the system. */
export function actorFromBy(by: string): string | null {
  const m = /^user:([0-9a-f-]{36})$/i.exec(by);
  return m ? m[1]!.toLowerCase() : null;
}

/** An audit row in the caller's transaction: the action and its record commit together. */
export async function writeAudit(
  tx: Executor,
  row: {
    by: string;
    action: string;
    targetType: string;
    targetId: string;
    details?: Record<string, unknown>;
    at: Date;
  },
): Promise<void> {
  await tx.insert(auditLog).values({
    actorUserId: actorFromBy(row.by),
    action: row.action,
    targetType: row.targetType,
    targetId: row.targetId,
    details: { by: row.by, ...(row.details ?? {}) },
    at: row.at,
  });
}

function money(v: Decimal.Value, ccy: string) {
  return `${groupDigits(D(v).toFixed(2))} ${ccy}`;
}

/**
 * Cash not yet promised to a copy: account cash minus, for each running copy on the account,
 * the part of its allocation not already spent on open positions (spent money is no longer
 * in the cash, so it must not be subtracted twice). Never below zero. Called inside the
 * transaction that holds the balance row lock when the answer decides a write. Not the
 * planner's `availableFunds` (domain/planner.ts): that is what an account may spend on new
 * exposure after its working orders; this is what is left to promise to another copy.
 */
export async function uncommittedFunds(
  db: Executor,
  brokerAccountId: string,
  excludeRelationshipId?: string,
): Promise<{ cash: string; committed: string; available: string }> {
  const [bal] = await db
    .select({ cash: accountBalances.cash })
    .from(accountBalances)
    .where(eq(accountBalances.brokerAccountId, brokerAccountId));
  const rows = await db
    .select({
      id: copyRelationships.id,
      reference: copyRelationships.referenceCapital,
      spent: sql<string>`coalesce((
        select sum(abs(p.qty) * p.avg_cost * i.multiplier) from ${copyPositions} p
          join ${instruments} i on i.symbol = p.symbol
         where p.relationship_id = ${copyRelationships.id}), 0)::text`,
    })
    .from(copyRelationships)
    .where(
      and(
        eq(copyRelationships.brokerAccountId, brokerAccountId),
        sql`${copyRelationships.status} <> 'stopped'`,
      ),
    );
  let committed = D(0);
  for (const r of rows) {
    if (r.id === excludeRelationshipId) continue;
    committed = committed.plus(maxDec(0, D(r.reference).minus(r.spent)));
  }
  const cash = D(bal?.cash ?? 0);
  return {
    cash: fmt(cash),
    committed: fmt(committed),
    available: fmt(maxDec(0, cash.minus(committed))),
  };
}

/** Locks the account's balance row (creating it at zero if missing) and returns its currency. */
async function lockBalance(tx: Executor, brokerAccountId: string, now: Date): Promise<string> {
  const [acct] = await tx
    .select({ id: brokerAccounts.id, currency: brokerAccounts.currency })
    .from(brokerAccounts)
    .where(eq(brokerAccounts.id, brokerAccountId));
  if (!acct) throw new CopyError("NOT_FOUND", "No such account.");
  await tx
    .insert(accountBalances)
    .values({ brokerAccountId: acct.id, currency: acct.currency, cash: "0", updatedAt: now })
    .onConflictDoNothing();
  await tx
    .select({ id: accountBalances.brokerAccountId })
    .from(accountBalances)
    .where(eq(accountBalances.brokerAccountId, acct.id))
    .for("update");
  return acct.currency;
}

/**
 * The copy-graph rules, checked under COPY_GRAPH_LOCK_KEY: a leader's trading account never
 * holds a copy (its fills are the leader's stream: a copy there feeds itself — two leaders
 * copying each other at factor 1 turned one 0.01 BTC buy into 0.69 BTC), nobody copies
 * themselves, and no copy closes a cycle of people (A copies B copies … A).
 */
export async function copyGraphProblem(
  tx: Executor,
  t: { followerId: string; leaderUserId: string; brokerAccountId: string },
): Promise<CopyError | null> {
  const [leaderAccount] = await tx
    .select({ id: leaders.id })
    .from(leaders)
    .where(eq(leaders.brokerAccountId, t.brokerAccountId));
  if (leaderAccount)
    return new CopyError(
      "LEADER_ACCOUNT",
      "This account is a leader's trading account: followers copy its trades, so it cannot copy anyone (the copied trades would be copied back to it). Copy from a separate follower account.",
    );
  if (t.leaderUserId === t.followerId)
    return new CopyError("COPY_CYCLE", "You cannot copy yourself.");
  // Follow live copies from the leader's owner: if they lead back to the follower, the new
  // copy would close a loop. The path is kept to name the people in the refusal.
  const [loop] = await tx.execute<{ path: string[] }>(sql`
    with recursive chain(user_id, path) as (
      select ${t.leaderUserId}::uuid, array[${t.leaderUserId}::uuid]
      union all
      select l.user_id, c.path || l.user_id
        from chain c
        join ${copyRelationships} r on r.follower_id = c.user_id and r.status <> 'stopped'
        join ${leaders} l on l.id = r.leader_id
       where not l.user_id = any(c.path)
    )
    select path::text[] as path from chain where user_id = ${t.followerId}::uuid limit 1`);
  if (!loop) return null;
  const ids = loop.path.slice(0, -1);
  const named = await tx
    .select({ userId: users.id, user: users.displayName, leader: leaders.displayName })
    .from(users)
    .leftJoin(leaders, eq(leaders.userId, users.id))
    .where(inArray(users.id, ids));
  const name = (id: string) => {
    const n = named.find((r) => r.userId === id);
    return n?.leader ?? n?.user ?? "someone";
  };
  const chain = ids.map(
    (id, i) => `${name(id)} copies ${i + 1 < ids.length ? name(ids[i + 1]!) : "you"}`,
  );
  return new CopyError(
    "COPY_CYCLE",
    `Copying ${name(ids[0]!)} would close a loop: ${chain.join(", and ")}. Each trade would be copied round the loop again and again, so this copy is refused.`,
  );
}

/**
 * Starts a copy. The ratio is fixed now (proportional: allocation / leader equity), and the
 * copy's cursor starts at the leader's current stream position: it copies what the leader
 * does from now on, not history. With `copyOpenPositions` the next reconciliation brings
 * it to the leader's current positions at market.
 *
 * Under one lock: the copy-graph rules, one live copy per follower and leader (a unique
 * index backs this up), and — with `enforceFunds`, as the web asks — the allocation against
 * the cash not promised to other copies, with the account's balance row locked so parallel
 * starts and withdrawals see each other.
 */
export async function startCopy(
  deps: EngineDeps,
  t: CopyTerms & { enforceFunds?: boolean },
): Promise<string> {
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${COPY_GRAPH_LOCK_KEY})`);
    const [leader] = await tx.select().from(leaders).where(eq(leaders.id, t.leaderId));
    if (!leader) throw new CopyError("NOT_FOUND", "No such leader.");
    if (!leader.copyable)
      throw new CopyError("LEADER_NOT_COPYABLE", "This leader cannot be copied right now.");
    const graph = await copyGraphProblem(tx, {
      followerId: t.followerId,
      leaderUserId: leader.userId,
      brokerAccountId: t.brokerAccountId,
    });
    if (graph) throw graph;
    const [live] = await tx
      .select({ id: copyRelationships.id })
      .from(copyRelationships)
      .where(
        and(
          eq(copyRelationships.followerId, t.followerId),
          eq(copyRelationships.leaderId, t.leaderId),
          sql`${copyRelationships.status} <> 'stopped'`,
        ),
      );
    if (live)
      throw new CopyError(
        "ALREADY_COPYING",
        "You already copy this leader. Change the amount on that copy instead.",
      );
    const currency = await lockBalance(tx, t.brokerAccountId, now);
    if (t.enforceFunds && t.sizing.allocation !== undefined) {
      const allocation = parseDecimal(t.sizing.allocation, "Amount");
      const funds = await uncommittedFunds(tx, t.brokerAccountId);
      if (allocation.gt(funds.available))
        throw new CopyError(
          "INSUFFICIENT_FUNDS",
          `Amount: you have ${money(funds.available, currency)} available to allocate. Add funds or lower the amount.`,
        );
    }
    const [balance] = await tx
      .select()
      .from(accountBalances)
      .where(eq(accountBalances.brokerAccountId, t.brokerAccountId));
    const cash = D(balance?.cash ?? 0);
    let ratio: string | null = null;
    let reference = cash;
    // Recorded with copy_started: "why my numbers differ" measures the leader's return from it.
    const startEquity = await leaderEquity(tx, t.leaderId);
    if (t.sizing.mode === "proportional") {
      const allocation = parseDecimal(t.sizing.allocation, "sizing.allocation");
      if (allocation.lte(0))
        throw new CopyError("INVALID_ALLOCATION", "sizing.allocation must be positive.");
      ratio = fmt(proportionalRatio(allocation, startEquity));
      reference = allocation;
    } else if (t.sizing.allocation !== undefined && t.sizing.allocation !== null) {
      // The sizing has an amount (the web's multiplier and fixed-notional copies carry what
      // the follower set aside): that is the reference capital, as replay-format.md says,
      // not the whole account's cash.
      const allocation = parseDecimal(t.sizing.allocation, "sizing.allocation");
      if (allocation.lte(0))
        throw new CopyError("INVALID_ALLOCATION", "sizing.allocation must be positive.");
      reference = allocation;
    }
    if (t.sizing.mode === "multiplier") {
      const factor = parseDecimal(t.sizing.factor, "sizing.factor");
      if (factor.lte(0)) throw new CopyError("INVALID_FACTOR", "sizing.factor must be positive.");
      ratio = fmt(factor);
    } else if (t.sizing.mode === "fixed_notional") {
      const notional = parseDecimal(t.sizing.notional, "sizing.notional");
      if (notional.lte(0))
        throw new CopyError("INVALID_NOTIONAL", "sizing.notional must be positive.");
    }
    const [stream] = await tx.execute<{ last_seq: string }>(
      sql`select last_seq from event_streams where stream = ${leaderStream(t.leaderId)}`,
    );
    // Without fees of its own (the web), a copy agrees to the leader's current version.
    const agreed = t.fees
      ? { scheduleId: null, fees: t.fees }
      : await feeTermsForNewCopy(tx, t.leaderId);
    const [rel] = await tx
      .insert(copyRelationships)
      .values({
        ...(t.id ? { id: t.id } : {}),
        followerId: t.followerId,
        leaderId: t.leaderId,
        brokerAccountId: t.brokerAccountId,
        status: "active",
        sizingMode: t.sizing.mode,
        allocation: t.sizing.allocation ?? null,
        factor: t.sizing.factor ?? null,
        notional: t.sizing.notional ?? null,
        ratio,
        ratioFixedAt: now,
        referenceCapital: fmt(reference),
        copyStopLossPct: t.risk?.copyStopLossPct ?? null,
        maxSymbolExposure: t.risk?.maxSymbolExposure ?? null,
        maxOpenPositions: t.risk?.maxOpenPositions ?? null,
        maxSlippageBps: t.risk?.maxSlippageBps ?? null,
        dailyLossLimit: t.risk?.dailyLossLimit ?? null,
        onInsufficientFunds: t.onInsufficientFunds ?? "reduce",
        onLeaderFlag: t.risk?.onLeaderFlag ?? "notify",
        performanceFeePct: agreed.fees.performanceFeePct ?? null,
        managementFeePctYear: agreed.fees.managementFeePctYear ?? null,
        platformFeeBps: agreed.fees.platformFeeBps ?? null,
        feePeriod: agreed.fees.period ?? "month",
        highWaterMark: fmt(reference),
        copyOpenPositions: t.copyOpenPositions ?? false,
        agreementVersion: t.agreementVersion,
        consentedAt: now,
        startedAt: now,
        lastLeaderSeq: Number(stream?.last_seq ?? 0),
      })
      .returning({ id: copyRelationships.id });
    await recordCopyFeeTerms(tx, rel!.id, agreed.scheduleId, now);
    await tx
      .insert(replicationCursors)
      .values({ leaderId: t.leaderId, lastSeq: Number(stream?.last_seq ?? 0), updatedAt: now })
      .onConflictDoNothing();
    const { enforceFunds: _enforce, ...terms } = t;
    await appendEvents(tx, [
      {
        stream: copyStream(rel!.id),
        type: "copy_started",
        payload: {
          ...terms,
          ratio,
          leaderEquity: fmt(startEquity),
          leaderSeq: Number(stream?.last_seq ?? 0),
        },
        at: now,
      },
    ]);
    await writeAudit(tx, {
      by: `user:${t.followerId}`,
      action: "copy.start",
      targetType: "copy",
      targetId: rel!.id,
      details: {
        leaderId: t.leaderId,
        brokerAccountId: t.brokerAccountId,
        sizing: t.sizing,
        risk: t.risk ?? null,
        ratio,
        agreementVersion: t.agreementVersion,
      },
      at: now,
    });
    return rel!.id;
  });
}

export async function pauseCopy(
  deps: EngineDeps,
  relationshipId: string,
  by: string,
): Promise<void> {
  await setStatus(deps, relationshipId, "active", "paused", by);
}

export async function resumeCopy(
  deps: EngineDeps,
  relationshipId: string,
  by: string,
): Promise<void> {
  await setStatus(deps, relationshipId, "paused", "active", by);
}

async function setStatus(
  deps: EngineDeps,
  id: string,
  from: "active" | "paused",
  to: "active" | "paused",
  by: string,
) {
  await deps.db.transaction(async (tx) => {
    const [rel] = await tx
      .select()
      .from(copyRelationships)
      .where(eq(copyRelationships.id, id))
      .for("update");
    if (!rel) throw new CopyError("NOT_FOUND", "No such copy.");
    if (rel.status === to) return;
    if (rel.status !== from)
      throw new CopyError(
        "INVALID_STATE",
        `The copy is ${rel.status}; it cannot be ${to === "paused" ? "paused" : "resumed"}.`,
      );
    await tx.update(copyRelationships).set({ status: to }).where(eq(copyRelationships.id, id));
    await appendEvents(tx, [
      {
        stream: copyStream(id),
        type: to === "paused" ? "copy_paused" : "copy_resumed",
        payload: { by },
        at: deps.clock.now(),
      },
    ]);
    await writeAudit(tx, {
      by,
      action: to === "paused" ? "copy.pause" : "copy.resume",
      targetType: "copy",
      targetId: id,
      at: deps.clock.now(),
    });
  });
}

/**
 * Changes a copy's allocation: r is fixed again from the leader's equity now (proportional);
 * positions move to the new target at the next leader fill or reconciliation. With
 * `enforceFunds` (the web) an increase must fit the cash not promised to the account's other
 * copies, checked under the account's balance row lock like a start or a withdrawal.
 */
export async function setAllocation(
  deps: EngineDeps,
  relationshipId: string,
  allocationRaw: string,
  by: string,
  opts: { enforceFunds?: boolean } = {},
): Promise<void> {
  const allocation = parseDecimal(allocationRaw, "allocation");
  if (allocation.lte(0)) throw new CopyError("INVALID_ALLOCATION", "allocation must be positive.");
  await deps.db.transaction(async (tx) => {
    const now = deps.clock.now();
    const [found] = await tx
      .select({ brokerAccountId: copyRelationships.brokerAccountId })
      .from(copyRelationships)
      .where(eq(copyRelationships.id, relationshipId));
    if (!found) throw new CopyError("NOT_FOUND", "No such copy.");
    // Balance first, then the copy: the same order as every other path that takes both.
    await lockBalance(tx, found.brokerAccountId, now);
    const [rel] = await tx
      .select()
      .from(copyRelationships)
      .where(eq(copyRelationships.id, relationshipId))
      .for("update");
    if (!rel) throw new CopyError("NOT_FOUND", "No such copy.");
    if (rel.status === "stopped") throw new CopyError("INVALID_STATE", "The copy is stopped.");
    const current = D(rel.allocation ?? rel.referenceCapital);
    if (opts.enforceFunds && allocation.gt(current)) {
      const funds = await uncommittedFunds(tx, rel.brokerAccountId, rel.id);
      if (allocation.gt(funds.available))
        throw new CopyError(
          "INSUFFICIENT_FUNDS",
          `Amount: at most ${funds.available} is available for this copy. Add funds to your account first.`,
        );
    }
    const ratio =
      rel.sizingMode === "proportional"
        ? fmt(proportionalRatio(allocation, await leaderEquity(tx, rel.leaderId)))
        : rel.ratio;
    await tx
      .update(copyRelationships)
      .set({
        allocation: fmt(allocation),
        referenceCapital: fmt(allocation),
        // New money is never charged as profit: the high-water mark moves with the allocation.
        highWaterMark: fmt(
          D(rel.highWaterMark ?? rel.referenceCapital)
            .plus(allocation)
            .minus(rel.allocation ?? rel.referenceCapital),
        ),
        ratio,
        ratioFixedAt: now,
      })
      .where(eq(copyRelationships.id, relationshipId));
    await appendEvents(tx, [
      {
        stream: copyStream(relationshipId),
        type: "copy_allocation_set",
        payload: { allocation: fmt(allocation), ratio, by },
        at: now,
      },
    ]);
    await writeAudit(tx, {
      by,
      action: "copy.allocation_set",
      targetType: "copy",
      targetId: relationshipId,
      details: { before: rel.allocation ?? rel.referenceCapital, after: fmt(allocation), ratio },
      at: now,
    });
  });
}

/**
 * Stops a copy: from now on it gets no copy orders. Only the database changes here, so
 * the web app can call it; orders not yet sent are cancelled at once, and the worker
 * (`settleStoppedCopies`) cancels working orders at the broker and, unless
 * `closePositions` is false, closes every position at market with origin `risk`.
 */
export async function stopCopy(
  deps: EngineDeps,
  relationshipId: string,
  opts: { reason: "STOPPED" | "COPY_STOP_LOSS"; by: string; closePositions?: boolean },
): Promise<void> {
  const now = deps.clock.now();
  await deps.db.transaction(async (tx) => {
    const [rel] = await tx
      .select()
      .from(copyRelationships)
      .where(eq(copyRelationships.id, relationshipId))
      .for("update");
    if (!rel) throw new CopyError("NOT_FOUND", "No such copy.");
    if (rel.status === "stopped") return;
    await tx
      .update(copyRelationships)
      .set({
        status: "stopped",
        stoppedAt: now,
        stopReason: opts.reason,
        closeOnStop: opts.closePositions !== false,
      })
      .where(eq(copyRelationships.id, relationshipId));
    await tx
      .update(orders)
      .set({ status: transition("pending_submit", "cancel"), updatedAt: now })
      .where(
        and(
          eq(orders.relationshipId, relationshipId),
          eq(orders.status, "pending_submit"),
          sql`${orders.origin} <> 'risk'`,
        ),
      );
    await appendEvents(tx, [
      {
        stream: copyStream(relationshipId),
        type: "copy_stopped",
        payload: {
          reason: opts.reason,
          by: opts.by,
          closePositions: opts.closePositions !== false,
        },
        at: now,
      },
    ]);
    await writeAudit(tx, {
      by: opts.by,
      action: "copy.stop",
      targetType: "copy",
      targetId: relationshipId,
      details: { reason: opts.reason, closePositions: opts.closePositions !== false },
      at: now,
    });
  });
}
