import { sql } from "drizzle-orm";
import postgres from "postgres";
import { connect, type Db, type DbHandle } from "../../db/client";
import { applyMigrations } from "../../db/migrate";
import type { PaperBroker } from "../../server/brokers/paper";
import { ensureLeaderBook } from "../../server/engine/ingest/leader-book";

/*
 * The set-up every benchmark repeated (loops, load, replay, fan-out): a fresh migrated
 * database on the bench server, and a bulk-written world of leaders and followers with
 * their accounts and copies. Written with INSERT … SELECT (not timed, not through the web's
 * intents) because 10 000 copies one by one would take minutes before anything is measured.
 */

/** A fresh, migrated database on the bench server, dropped by `drop()`. */
export async function benchDatabase(
  adminUrl: string,
  prefix: string,
  opts: { max?: number; before?: (url: string) => Promise<void> } = {},
): Promise<DbHandle & { url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${Date.now().toString(36)}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  await applyMigrations(u.toString());
  // Run before the pool connects, so database-level settings reach every connection.
  await opts.before?.(u.toString());
  const h = connect(u.toString(), { max: opts.max ?? 10 });
  return {
    ...h,
    url: u.toString(),
    async drop() {
      await h.close();
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end();
    },
  };
}

/**
 * One instrument XYZ quoted 99.99/100.01 (through the paper broker when there is one, so it
 * sees the quote too), `leaders` leaders with 1 000 000 each, and `leaders × followersPerLeader`
 * followers with 100 000 each on paper accounts, follower k copying leader k mod L with
 * allocation 10 000 and r = 0.01 (the leader's 1 000 becomes 10). Returns the leader ids in
 * id order.
 */
export async function insertBenchWorld(
  db: Db,
  opts: { leaders: number; followersPerLeader: number; paper?: PaperBroker },
): Promise<string[]> {
  const now = new Date();
  await db.execute(sql`insert into instruments (symbol, name, asset_class, currency, tick_size, qty_step, min_qty, min_notional, multiplier, commission_per_unit, trading_hours)
    values ('XYZ', 'XYZ', 'equity', 'USD', '0.01', '1', '1', '1', '1', '0.005', '{"timeZone":"UTC","sessions":[]}')`);
  if (opts.paper) await opts.paper.onQuote({ symbol: "XYZ", bid: "99.99", ask: "100.01", at: now });
  else
    await db.execute(
      sql`insert into quotes (symbol, bid, ask, at) values ('XYZ', '99.99', '100.01', ${now.toISOString()}::timestamptz)`,
    );
  await db.execute(sql`insert into users (email, password_hash, display_name, role)
    select 'l' || g || '@bench', '!', 'L' || g, 'leader' from generate_series(1, ${opts.leaders}) g`);
  await db.execute(sql`insert into broker_accounts (user_id, broker, external_id)
    select id, 'paper', 'bl-' || id from users where role = 'leader'`);
  await db.execute(sql`insert into leaders (user_id, handle, display_name, broker_account_id, track_record_started_at)
    select u.id, 'h' || substr(u.id::text, 1, 8), u.display_name, a.id, now() from users u join broker_accounts a on a.user_id = u.id where u.role = 'leader'`);
  const leaderIds = (await db.execute<{ id: string }>(sql`select id from leaders order by id`)).map(
    (r) => r.id,
  );
  for (const id of leaderIds) await ensureLeaderBook(db, id, "1000000", now);
  await db.execute(sql`insert into paper_accounts (id, currency, cash, created_at)
    select external_id, 'USD', '1000000', now() from broker_accounts where external_id like 'bl-%'`);
  await db.execute(sql`insert into users (email, password_hash, display_name, role)
    select 'f' || g || '@bench', '!', 'F' || g, 'follower' from generate_series(1, ${opts.leaders * opts.followersPerLeader}) g`);
  await db.execute(sql`insert into broker_accounts (user_id, broker, external_id)
    select id, 'paper', 'bf-' || id from users where role = 'follower'`);
  await db.execute(sql`insert into account_balances (broker_account_id, currency, cash, updated_at)
    select id, 'USD', '100000', now() from broker_accounts where external_id like 'bf-%'`);
  await db.execute(sql`insert into paper_accounts (id, currency, cash, created_at)
    select external_id, 'USD', '100000', now() from broker_accounts where external_id like 'bf-%'`);
  await db.execute(sql`
    with l as (select id, row_number() over (order by id) - 1 as k from leaders),
         f as (select a.id, a.user_id, row_number() over (order by a.id) - 1 as k from broker_accounts a where a.external_id like 'bf-%')
    insert into copy_relationships (follower_id, leader_id, broker_account_id, status, sizing_mode, allocation, ratio, reference_capital, agreement_version, consented_at, started_at)
    select f.user_id, l.id, f.id, 'active', 'proportional', '10000', '0.01', '10000', 'bench', now(), now()
      from f join l on l.k = f.k % ${opts.leaders}`);
  return leaderIds;
}

/** Integer cents as a decimal string (bench prices move in whole cents: no float rounding). */
export function cents(c: number): string {
  if (!Number.isSafeInteger(c)) throw new Error(`cents must be a whole number, got ${c}`);
  const sign = c < 0 ? "-" : "";
  const a = Math.abs(c);
  return `${sign}${Math.floor(a / 100)}.${String(a % 100).padStart(2, "0")}`;
}
