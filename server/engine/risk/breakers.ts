import { and, eq, gte, isNull, sql } from "drizzle-orm";
import {
  auditLog,
  brokerAccounts,
  circuitBreakers,
  instruments,
  leaderFills,
  leaders,
} from "../../../db/schema";
import { BROKERS } from "../../market/catalogue";
import { CopyError } from "../copies/intents";
import type { Executor } from "../core/streams";
import type { EngineDeps } from "../deps";

export type BreakerScope = "global" | "leader" | "instrument" | "broker";

/**
 * Circuit breakers stop increases (reductions still follow the leader) for everything in
 * their scope until closed. Admins open and close them; the engine opens them itself when a
 * leader's fill rate explodes or a broker keeps failing.
 */
export async function openBreaker(
  deps: Pick<EngineDeps, "db" | "clock">,
  b: { scope: BreakerScope; key: string; reason: string; by: string; actorUserId?: string | null },
): Promise<string | null> {
  const key = b.scope === "global" ? "*" : b.key;
  return deps.db.transaction(async (tx) => {
    // One open breaker per scope and key: a second opening is a no-op.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`breaker:${b.scope}:${key}`}))`);
    const unknown = await unknownKey(tx, b.scope, key);
    if (unknown) throw new CopyError("INVALID_BREAKER_KEY", unknown);
    const [open] = await tx
      .select({ id: circuitBreakers.id })
      .from(circuitBreakers)
      .where(
        and(
          eq(circuitBreakers.scope, b.scope),
          eq(circuitBreakers.scopeKey, key),
          isNull(circuitBreakers.closedAt),
        ),
      );
    if (open) return null;
    const [row] = await tx
      .insert(circuitBreakers)
      .values({
        scope: b.scope,
        scopeKey: key,
        reason: b.reason,
        openedBy: b.by,
        openedAt: deps.clock.now(),
      })
      .returning({ id: circuitBreakers.id });
    await tx.insert(auditLog).values({
      actorUserId: b.actorUserId ?? null,
      action: "breaker.open",
      targetType: `breaker:${b.scope}`,
      targetId: key,
      details: { reason: b.reason, by: b.by },
      at: deps.clock.now(),
    });
    return row!.id;
  });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A breaker on a key that names nothing stops nothing while looking like protection (a typo
 * in a symbol): the key must be an existing leader id, instrument symbol or broker name.
 */
async function unknownKey(tx: Executor, scope: BreakerScope, key: string): Promise<string | null> {
  if (scope === "global") return null;
  if (scope === "leader") {
    const [row] = UUID.test(key)
      ? await tx.select({ id: leaders.id }).from(leaders).where(eq(leaders.id, key))
      : [];
    return row
      ? null
      : `Key: no leader has the id ${JSON.stringify(key)}. Copy the id from the leader's page.`;
  }
  if (scope === "instrument") {
    const [row] = await tx
      .select({ s: instruments.symbol })
      .from(instruments)
      .where(eq(instruments.symbol, key));
    return row
      ? null
      : `Key: there is no instrument ${JSON.stringify(key)}. Use its symbol, such as AAPL.`;
  }
  if ((BROKERS as readonly string[]).includes(key)) return null;
  // One account of a broker: `broker:accountId` (an account the broker refuses).
  const [broker, accountId] = key.split(":");
  if (accountId !== undefined && UUID.test(accountId)) {
    const [acct] = await tx
      .select({ id: brokerAccounts.id })
      .from(brokerAccounts)
      .where(and(eq(brokerAccounts.id, accountId), eq(brokerAccounts.broker, broker!)));
    if (acct) return null;
  }
  const [row] = await tx
    .select({ b: brokerAccounts.broker })
    .from(brokerAccounts)
    .where(eq(brokerAccounts.broker, key))
    .limit(1);
  return row
    ? null
    : `Key: no account uses a broker named ${JSON.stringify(key)}. Use its name, such as paper.`;
}

export async function closeBreaker(
  deps: Pick<EngineDeps, "db" | "clock">,
  id: string,
  by: string,
  actorUserId?: string | null,
): Promise<boolean> {
  const rows = await deps.db
    .update(circuitBreakers)
    .set({ closedAt: deps.clock.now(), closedBy: by })
    .where(and(eq(circuitBreakers.id, id), isNull(circuitBreakers.closedAt)))
    .returning({ scope: circuitBreakers.scope, key: circuitBreakers.scopeKey });
  if (rows.length)
    await deps.db.insert(auditLog).values({
      actorUserId: actorUserId ?? null,
      action: "breaker.close",
      targetType: `breaker:${rows[0]!.scope}`,
      targetId: rows[0]!.key,
      details: { by },
      at: deps.clock.now(),
    });
  return rows.length > 0;
}

/** More leader fills than this within a minute opens the leader's breaker. */
export const LEADER_FILLS_PER_MINUTE_LIMIT = 120;
/** More submission failures than this within a minute, at one broker, opens its breaker. */
export const BROKER_FAILURES_PER_MINUTE_LIMIT = 50;

export async function tripOnLeaderFillRate(deps: EngineDeps, leaderId: string): Promise<void> {
  if (!deps.config.autoBreakers) return;
  const since = new Date(deps.clock.now().getTime() - 60_000);
  const [row] = await deps.db
    .select({ n: sql<number>`count(*)::int` })
    .from(leaderFills)
    .where(and(eq(leaderFills.leaderId, leaderId), gte(leaderFills.recordedAt, since)));
  if ((row?.n ?? 0) > LEADER_FILLS_PER_MINUTE_LIMIT) {
    const id = await openBreaker(deps, {
      scope: "leader",
      key: leaderId,
      reason: `more than ${LEADER_FILLS_PER_MINUTE_LIMIT} fills in a minute`,
      by: "engine",
    });
    if (id) deps.log.warn({ leaderId }, "leader breaker opened: fill rate");
  }
}

/** Recent failures per engine instance (this process's view; each worker counts its own). */
const failuresByEngine = new WeakMap<EngineDeps, Map<string, number[]>>();

/** Counts a submission failure at a broker; opens the broker's breaker past the limit. */
export async function recordBrokerFailure(deps: EngineDeps, broker: string): Promise<void> {
  if (!deps.config.autoBreakers) return;
  const failures = failuresByEngine.get(deps) ?? new Map<string, number[]>();
  failuresByEngine.set(deps, failures);
  const now = deps.clock.now().getTime();
  const list = (failures.get(broker) ?? []).filter((t) => t <= now && now - t < 60_000);
  list.push(now);
  failures.set(broker, list);
  if (list.length > BROKER_FAILURES_PER_MINUTE_LIMIT) {
    const id = await openBreaker(deps, {
      scope: "broker",
      key: broker,
      reason: `more than ${BROKER_FAILURES_PER_MINUTE_LIMIT} failed submissions in a minute`,
      by: "engine",
    });
    if (id) deps.log.warn({ broker }, "broker breaker opened: failures");
  }
}
