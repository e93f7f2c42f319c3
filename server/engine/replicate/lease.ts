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
  await db.execute(
    sql`insert into work_leases (key, token) values (${key}, 0) on conflict (key) do nothing`,
  );
  const rows = await db.execute<{ token: string }>(sql`
    update work_leases
       set owner = ${owner},
           token = case when owner = ${owner} and expires_at > ${nowIso}::timestamptz then token else token + 1 end,
           expires_at = ${until}::timestamptz
     where key = ${key}
       and (owner is null or owner = ${owner} or expires_at is null or expires_at <= ${nowIso}::timestamptz)
    returning token`);
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

export async function releaseLease(db: Executor, lease: Lease, owner: string): Promise<void> {
  await db.execute(
    sql`update work_leases set expires_at = null, owner = null where key = ${lease.key} and owner = ${owner} and token = ${lease.token}`,
  );
}

export class LeaseLostError extends Error {}
