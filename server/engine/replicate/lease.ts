import { sql } from "drizzle-orm";
import type { Executor } from "../core/streams";

export type Lease = { key: string; token: number };

/**
 * Claims `key` for `owner` until `now + ttl` if it is free, expired, or already ours. The
 * token grows on every claim by a new owner, so work done under an old token can be refused
 * (see `assertLease`) after another worker took over.
 */
export async function claimLease(
  db: Executor,
  key: string,
  owner: string,
  now: Date,
  ttlMs: number,
): Promise<Lease | null> {
  const until = new Date(now.getTime() + ttlMs).toISOString();
  const nowIso = now.toISOString();
  // One statement (one round trip on every pass of every leader): a new key is inserted as
  // claimed with token 1; an existing one is taken only where the condition lets us, and
  // otherwise nothing is returned (another owner holds it).
  const rows = await db.execute<{ token: string }>(sql`
    insert into work_leases as l (key, owner, token, expires_at)
    values (${key}, ${owner}, 1, ${until}::timestamptz)
    on conflict (key) do update
       set owner = ${owner},
           token = case when l.owner = ${owner} and l.expires_at > ${nowIso}::timestamptz then l.token else l.token + 1 end,
           expires_at = ${until}::timestamptz
     where l.owner is null or l.owner = ${owner} or l.expires_at is null or l.expires_at <= ${nowIso}::timestamptz
    returning l.token`);
  const row = rows[0];
  return row ? { key, token: Number(row.token) } : null;
}

/**
 * Inside a transaction: fails if our token is no longer current, and holds the lease row
 * so that no other worker can take the lease over until the transaction ends. A share lock:
 * a takeover (an update) waits for it all the same, and our own batches running side by
 * side (replicate.ts) do not wait for each other.
 */
export async function assertLease(tx: Executor, lease: Lease): Promise<void> {
  const rows = await tx.execute<{ token: string }>(
    sql`select token from work_leases where key = ${lease.key} for share`,
  );
  if (Number(rows[0]?.token) !== lease.token) {
    throw new LeaseLostError(`lease ${lease.key} was taken over (token ${lease.token} is stale)`);
  }
}

/**
 * Runs `work` in the transaction with `assertLease` sent ahead of its first statement and
 * not waited for on its own (one round trip less per transaction): the check still runs
 * first, and nothing commits unless it held, since a stale token throws before the caller's
 * transaction can end.
 */
export async function underLease<T>(
  tx: Executor,
  lease: Lease,
  work: () => Promise<T>,
): Promise<T> {
  const held = assertLease(tx, lease);
  // Observed here so that a failure while `work` runs is not an unhandled rejection.
  held.catch(() => {});
  const out = await work();
  await held;
  return out;
}

export async function releaseLease(db: Executor, lease: Lease, owner: string): Promise<void> {
  await db.execute(
    sql`update work_leases set expires_at = null, owner = null where key = ${lease.key} and owner = ${owner} and token = ${lease.token}`,
  );
}

export class LeaseLostError extends Error {}
