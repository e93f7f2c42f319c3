import { sql, type SQL } from "drizzle-orm";
import type { Db } from "../../db/client";
import { money } from "../../components/format";
import { REASON_TEXT } from "../../components/reason-words";
import { KIND_INFO, type NotificationKind } from "./kinds";

/**
 * Turns what the engine already records into notifications, without the engine knowing
 * (ADR 0017). Each source is read past a cursor, and a pass over a source (read rows, write
 * notifications and outbox rows, move the cursor) is one transaction: a crash re-reads the
 * same rows and writes nothing twice; `dedupe_key` guards the rest.
 *
 * Sources: `events` (copy_started, copy_stopped — a stop-loss is a stop with that reason),
 * `copy_decisions` (skipped and reduced trades, batched per copy), `audit_log` (breaker.open,
 * written in the breaker's own transaction) and `orders` that ended rejected (the broker's
 * late answers write no event, so this source is read by `updated_at` with an overlap).
 */
export type DeriveOptions = {
  now?: Date;
  /**
   * Rows with ids at or below a mark are read only once the mark is this old, so a
   * transaction that took a lower id but committed later is not skipped. 0: read up to now.
   */
  settleMs?: number;
  /** Skipped and reduced trades of one copy within this window go out as one message. */
  batchWindowMs?: number;
  /** Whether e-mail is configured at all (SMTP_URL); otherwise in-app only. */
  email: boolean;
  /** Links in e-mails point here. */
  appUrl: string;
};

type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

type Item = {
  userId: string;
  kind: NotificationKind;
  title: string;
  body: string;
  link: string | null;
  dedupeKey: string;
  details?: Record<string, unknown>;
  /** An outbox row held until then (a batch that may still grow); default now. */
  sendAt?: Date;
};

const REJECTION_OVERLAP_MS = 60_000;
const MAX_ROWS_PER_PASS = 5000;
const iso = (d: Date) => d.toISOString();

export async function deriveNotifications(
  db: Db,
  opts: DeriveOptions,
): Promise<{ created: number; merged: number }> {
  const o = {
    now: opts.now ?? new Date(),
    settleMs: opts.settleMs ?? 5_000,
    batchWindowMs: opts.batchWindowMs ?? 5 * 60_000,
    email: opts.email,
    appUrl: opts.appUrl.replace(/\/$/, ""),
  };
  let created = 0;
  let merged = 0;
  created += await db.transaction((tx) => fromCopyEvents(tx, o));
  const batch = await db.transaction((tx) => fromDecisions(tx, o));
  created += batch.created;
  merged += batch.merged;
  created += await db.transaction((tx) => fromBreakers(tx, o));
  created += await db.transaction((tx) => fromRejections(tx, o));
  return { created, merged };
}

type Opts = Required<Omit<DeriveOptions, "now">> & { now: Date };

// ---------------------------------------------------------------------------------------------
// Cursors

/** The id range (from, to] this pass may read from `table`; moves the cursor to `to`. */
async function idWindow(tx: Tx, source: string, maxId: SQL, o: Opts) {
  // A new cursor starts at the present: history is not news.
  await tx.execute(sql`
    insert into notify_cursors (source, last_id, mark_id, mark_at)
    values (${source}, (${maxId}), 0, null) on conflict (source) do nothing`);
  const [c] = await tx.execute<{ last_id: string; mark_id: string; mark_at: Date | string | null }>(
    sql`select last_id, mark_id, mark_at from notify_cursors where source = ${source} for update`,
  );
  const [m] = await tx.execute<{ max: string }>(sql`select (${maxId}) as max`);
  const last = Number(c!.last_id);
  const max = Number(m!.max);
  let to = last;
  let markId = Number(c!.mark_id);
  let markAt = c!.mark_at ? new Date(c!.mark_at) : null;
  if (o.settleMs <= 0) {
    to = max;
  } else if (markAt && markId > last) {
    if (o.now.getTime() - markAt.getTime() >= o.settleMs) {
      to = markId;
      markId = max;
      markAt = o.now;
    }
  } else {
    markId = max;
    markAt = o.now;
  }
  to = Math.min(to, last + MAX_ROWS_PER_PASS);
  await tx.execute(sql`
    update notify_cursors set last_id = ${to}, mark_id = ${markId},
           mark_at = ${markAt ? iso(markAt) : null}::timestamptz
     where source = ${source}`);
  return { from: last, to };
}

// ---------------------------------------------------------------------------------------------
// Sources

async function fromCopyEvents(tx: Tx, o: Opts): Promise<number> {
  const w = await idWindow(tx, "events", sql`select coalesce(max(id), 0) from events`, o);
  if (w.to <= w.from) return 0;
  const rows = await tx.execute<{
    id: string;
    type: string;
    payload: Record<string, unknown>;
    rel_id: string;
    follower_id: string;
    leader_name: string;
    stop_loss_pct: string | null;
    reference_capital: string;
    currency: string;
  }>(sql`
    select e.id, e.type, e.payload, c.id as rel_id, c.follower_id, l.display_name as leader_name,
           c.copy_stop_loss_pct as stop_loss_pct, c.reference_capital, a.currency
      from events e
      join copy_relationships c on e.stream = 'copy:' || c.id::text
      join leaders l on l.id = c.leader_id
      join broker_accounts a on a.id = c.broker_account_id
     where e.id > ${w.from} and e.id <= ${w.to}
       and e.type in ('copy_started', 'copy_stopped')
     order by e.id`);
  const items: Item[] = rows.map((r) => {
    const link = `/copies/${r.rel_id}`;
    if (r.type === "copy_started")
      return {
        userId: r.follower_id,
        kind: "copy_started",
        title: `You are now copying ${r.leader_name}`,
        body: `Your copy of ${r.leader_name} started with ${money(r.reference_capital, r.currency)}. Every trade ${r.leader_name} makes from now on is copied at your size, within your limits.`,
        link,
        dedupeKey: `event:${r.id}`,
      };
    const stopLoss = r.payload.reason === "COPY_STOP_LOSS";
    const kept = r.payload.closePositions === false;
    if (stopLoss) {
      const limit = r.stop_loss_pct
        ? ` (${r.stop_loss_pct} % of ${money(r.reference_capital, r.currency)})`
        : "";
      return {
        userId: r.follower_id,
        kind: "stop_loss",
        title: `Stop-loss hit: your copy of ${r.leader_name} stopped`,
        body: `Your copy of ${r.leader_name} lost as much as your stop-loss allows${limit}, so it stopped and its positions are being closed at market.`,
        link,
        dedupeKey: `event:${r.id}`,
      };
    }
    return {
      userId: r.follower_id,
      kind: "copy_stopped",
      title: `Your copy of ${r.leader_name} stopped`,
      body: kept
        ? `Your copy of ${r.leader_name} stopped. Its positions were kept in your account for you to manage.`
        : `Your copy of ${r.leader_name} stopped. Its positions are being closed at market.`,
      link,
      dedupeKey: `event:${r.id}`,
    };
  });
  return emit(tx, items, o);
}

/** Decisions that are no news to the follower: the copy was paused or stopped on purpose. */
const QUIET_REASONS = ["OK", "PAUSED", "STOPPED", "COPY_STOP_LOSS"];

async function fromDecisions(tx: Tx, o: Opts): Promise<{ created: number; merged: number }> {
  const w = await idWindow(
    tx,
    "copy_decisions",
    sql`select coalesce(max(id), 0) from copy_decisions`,
    o,
  );
  if (w.to <= w.from) return { created: 0, merged: 0 };
  const rows = await tx.execute<{
    id: string;
    rel_id: string;
    action: "skipped" | "reduced";
    reason: string;
    symbol: string;
    follower_id: string;
    leader_name: string;
  }>(sql`
    select d.id, d.relationship_id as rel_id, d.action, d.reason, d.symbol, c.follower_id,
           l.display_name as leader_name
      from copy_decisions d
      join copy_relationships c on c.id = d.relationship_id
      join leaders l on l.id = c.leader_id
     where d.id > ${w.from} and d.id <= ${w.to}
       and d.action in ('skipped', 'reduced')
       and d.reason not in (${sql.join(
         QUIET_REASONS.map((r) => sql`${r}`),
         sql`, `,
       )})
     order by d.id`);
  const perCopy = new Map<string, Array<(typeof rows)[number]>>();
  for (const r of rows) perCopy.set(r.rel_id, [...(perCopy.get(r.rel_id) ?? []), r]);
  let created = 0;
  let merged = 0;
  for (const [relId, list] of perCopy) {
    const first = list[0]!;
    const [open] = await tx.execute<{
      id: string;
      details: BatchDetails;
      outbox_id: string | null;
    }>(
      sql`
      select n.id, n.details, ob.id as outbox_id
        from notifications n
        left join notification_outbox ob on ob.notification_id = n.id
       where n.user_id = ${first.follower_id} and n.kind = 'trades_skipped'
         and n.details->>'relationshipId' = ${relId}
         and n.created_at > ${iso(new Date(o.now.getTime() - o.batchWindowMs))}::timestamptz
         and (ob.id is null or (ob.status = 'pending' and ob.attempts = 0))
       order by n.id desc limit 1
       for update of n`,
    );
    const details = addToBatch(open?.details ?? emptyBatch(relId), list);
    const text = batchText(first.leader_name, details);
    if (open) {
      // The batch is still open: it grows, and reads as unread again.
      await tx.execute(sql`
        update notifications set title = ${text.title}, body = ${text.body},
               details = ${JSON.stringify(details)}::jsonb, read_at = null
         where id = ${open.id}`);
      if (open.outbox_id)
        await tx.execute(sql`
          update notification_outbox set subject = ${text.title},
                 body = ${emailBody(text.body, `/copies/${relId}`, o)}
           where id = ${open.outbox_id}`);
      merged += 1;
    } else {
      created += await emit(
        tx,
        [
          {
            userId: first.follower_id,
            kind: "trades_skipped",
            title: text.title,
            body: text.body,
            link: `/copies/${relId}`,
            dedupeKey: `trades:${relId}:${first.id}`,
            details,
            // Sent when the window closes, with everything that happened in it.
            sendAt: new Date(o.now.getTime() + o.batchWindowMs),
          },
        ],
        o,
      );
    }
  }
  return { created, merged };
}

type BatchDetails = {
  relationshipId: string;
  skipped: number;
  reduced: number;
  reasons: Record<string, { count: number; symbols: string[] }>;
};

const emptyBatch = (relationshipId: string): BatchDetails => ({
  relationshipId,
  skipped: 0,
  reduced: 0,
  reasons: {},
});

function addToBatch(
  d: BatchDetails,
  rows: Array<{ action: string; reason: string; symbol: string }>,
) {
  const next: BatchDetails = structuredClone(d);
  for (const r of rows) {
    if (r.action === "skipped") next.skipped += 1;
    else next.reduced += 1;
    const entry = (next.reasons[r.reason] ??= { count: 0, symbols: [] });
    entry.count += 1;
    if (!entry.symbols.includes(r.symbol)) entry.symbols.push(r.symbol);
  }
  return next;
}

function batchText(leader: string, d: BatchDetails) {
  const n = d.skipped + d.reduced;
  const parts = [
    d.skipped ? `${d.skipped} skipped` : null,
    d.reduced ? `${d.reduced} reduced` : null,
  ].filter(Boolean);
  const title = `${n} trade${n === 1 ? "" : "s"} from ${leader} not copied in full`;
  const lines = Object.entries(d.reasons).map(
    ([reason, e]) =>
      `• ${e.count} × ${REASON_TEXT[reason] ?? "Not copied."} (${e.symbols.slice(0, 5).join(", ")})`,
  );
  return {
    title,
    body: `Your copy of ${leader}: ${parts.join(", ")}.\n${lines.join("\n")}`,
  };
}

async function fromBreakers(tx: Tx, o: Opts): Promise<number> {
  const w = await idWindow(tx, "audit_log", sql`select coalesce(max(id), 0) from audit_log`, o);
  if (w.to <= w.from) return 0;
  const opened = await tx.execute<{
    id: string;
    scope: string;
    key: string;
    reason: string | null;
  }>(sql`
    select id, replace(target_type, 'breaker:', '') as scope, target_id as key,
           details->>'reason' as reason
      from audit_log
     where id > ${w.from} and id <= ${w.to} and action = 'breaker.open'
     order by id`);
  const items: Item[] = [];
  for (const b of opened) {
    // Who is affected: the copies the breaker stops from opening positions.
    const affected = await tx.execute<{ rel_id: string; follower_id: string; leader_name: string }>(
      sql`
      select c.id as rel_id, c.follower_id, l.display_name as leader_name
        from copy_relationships c
        join leaders l on l.id = c.leader_id
        join broker_accounts a on a.id = c.broker_account_id
       where c.status in ('active', 'paused')
         and (${b.scope} = 'global'
              or (${b.scope} = 'leader' and c.leader_id::text = ${b.key})
              or (${b.scope} = 'broker' and a.broker = ${b.key})
              or (${b.scope} = 'instrument' and exists (
                    select 1 from leader_positions p
                     where p.leader_id = c.leader_id and p.symbol = ${b.key} and p.qty <> 0)))`,
    );
    const what =
      b.scope === "instrument"
        ? ` in ${b.key}`
        : b.scope === "broker"
          ? ` at ${b.key}`
          : b.scope === "global"
            ? " on the whole platform"
            : "";
    for (const a of affected)
      items.push({
        userId: a.follower_id,
        kind: "breaker_halt",
        title: `Copying of ${a.leader_name} is halted${what}`,
        body: `A safety circuit breaker halted copying${what}${b.reason ? ` (${b.reason})` : ""}. Your copy of ${a.leader_name} opens no new positions until it is lifted; reductions still follow the leader.`,
        link: `/copies/${a.rel_id}`,
        dedupeKey: `breaker:${b.id}:${a.rel_id}`,
      });
  }
  items.push(...(await staffAlerts(tx, w)), ...(await leaderFlagNotices(tx, w)));
  return emit(tx, items, o);
}

/**
 * Breakers the engine opened by itself (fill rate, abnormal quotes): every admin is told,
 * and for a leader's breaker the leader too, so someone looks before it closes by itself.
 */
async function staffAlerts(tx: Tx, w: { from: number; to: number }): Promise<Item[]> {
  const rows = await tx.execute<{
    id: string;
    scope: string;
    key: string;
    reason: string | null;
    user_id: string;
    leader_name: string | null;
  }>(sql`
    select a.id, replace(a.target_type, 'breaker:', '') as scope, a.target_id as key,
           a.details->>'reason' as reason, u.id as user_id, l.display_name as leader_name
      from audit_log a
      left join leaders l on a.target_type = 'breaker:leader' and l.id::text = a.target_id
      join users u on u.role = 'admin' or u.id = l.user_id
     where a.id > ${w.from} and a.id <= ${w.to} and a.action = 'breaker.open'
       and a.details->>'by' in ('engine', 'system')
     order by a.id`);
  return rows.map((r) => {
    const what =
      r.scope === "leader" ? `trading of ${r.leader_name ?? r.key}` : `${r.scope} ${r.key}`;
    return {
      userId: r.user_id,
      kind: "breaker_alert" as const,
      title: `Safety breaker opened by itself: ${what}`,
      body: `A circuit breaker opened automatically on ${what}${r.reason ? ` (${r.reason})` : ""}. Copies open no new positions there; reductions still follow. It closes by itself after a quiet period, or an admin can close it.`,
      link: r.scope === "leader" ? "/leader" : "/admin",
      dedupeKey: `breaker-alert:${r.id}:${r.user_id}`,
    };
  });
}

/** A leader flagged for a strategy change: each follower hears what they chose happens. */
async function leaderFlagNotices(tx: Tx, w: { from: number; to: number }): Promise<Item[]> {
  const rows = await tx.execute<{
    id: string;
    reasons: string[] | null;
    rel_id: string;
    follower_id: string;
    leader_name: string;
    policy: "notify" | "pause_increases";
  }>(sql`
    select a.id, a.details->'reasons' as reasons, c.id as rel_id, c.follower_id,
           l.display_name as leader_name, c.on_leader_flag as policy
      from audit_log a
      join copy_relationships c on c.leader_id::text = a.target_id and c.status in ('active', 'paused')
      join leaders l on l.id = c.leader_id
     where a.id > ${w.from} and a.id <= ${w.to} and a.action = 'leader_flag.open'
     order by a.id`);
  return rows.map((r) => {
    const why = (r.reasons ?? []).join("; ");
    const then =
      r.policy === "pause_increases"
        ? "As you chose, your copy buys nothing new while the flag is open; reductions and closes still follow the leader."
        : "As you chose, your copy keeps following; you can pause it or change this choice on the copy's page.";
    return {
      userId: r.follower_id,
      kind: "leader_flagged" as const,
      title: `${r.leader_name} changed how they trade`,
      body: `${r.leader_name}'s trading of the last 24 hours is far outside their own last 30 days${why ? `: ${why}` : ""}. ${then}`,
      link: `/copies/${r.rel_id}`,
      dedupeKey: `leader-flag:${r.id}:${r.rel_id}`,
    };
  });
}

async function fromRejections(tx: Tx, o: Opts): Promise<number> {
  // Cursor in milliseconds of orders.updated_at; re-read with an overlap (late commits).
  await tx.execute(sql`
    insert into notify_cursors (source, last_id, mark_id)
    values ('orders_rejected',
            coalesce((select (extract(epoch from max(updated_at)) * 1000)::bigint
                        from orders where status = 'rejected'), 0), 0)
    on conflict (source) do nothing`);
  const [c] = await tx.execute<{ last_id: string }>(
    sql`select last_id from notify_cursors where source = 'orders_rejected' for update`,
  );
  const since = new Date(Number(c!.last_id) - REJECTION_OVERLAP_MS);
  const rows = await tx.execute<{
    id: string;
    side: string;
    qty: string;
    symbol: string;
    reject_reason: string | null;
    user_id: string;
    rel_id: string | null;
    leader_name: string | null;
    updated_ms: string;
  }>(sql`
    select o.id, o.side, o.qty, o.symbol, o.reject_reason, a.user_id, o.relationship_id as rel_id,
           l.display_name as leader_name,
           (extract(epoch from o.updated_at) * 1000)::bigint as updated_ms
      from orders o
      join broker_accounts a on a.id = o.broker_account_id
      left join copy_relationships c on c.id = o.relationship_id
      left join leaders l on l.id = c.leader_id
     where o.status = 'rejected' and o.updated_at > ${iso(since)}::timestamptz
     order by o.updated_at
     limit ${MAX_ROWS_PER_PASS}`);
  if (rows.length === 0) return 0;
  const newest = Math.max(Number(c!.last_id), ...rows.map((r) => Number(r.updated_ms)));
  await tx.execute(
    sql`update notify_cursors set last_id = ${newest} where source = 'orders_rejected'`,
  );
  const items: Item[] = rows.map((r) => ({
    userId: r.user_id,
    kind: "order_rejected",
    title: `Order rejected: ${r.side} ${r.qty} ${r.symbol}`,
    body: `The broker rejected the order to ${r.side} ${r.qty} ${r.symbol}${r.leader_name ? ` (copying ${r.leader_name})` : ""}${r.reject_reason ? `: ${r.reject_reason}` : "."} Nothing was bought or sold.`,
    link: r.rel_id ? `/copies/${r.rel_id}` : "/dashboard",
    dedupeKey: `rejected:${r.id}`,
  }));
  return emit(tx, items, o);
}

// ---------------------------------------------------------------------------------------------
// Writing

function emailBody(body: string, link: string | null, o: Opts): string {
  return [
    body,
    "",
    link ? `Details: ${o.appUrl}${link}` : null,
    `Choose which e-mails you get: ${o.appUrl}/notifications`,
  ]
    .filter((l) => l !== null)
    .join("\n");
}

/** Writes notifications (and their e-mails) honouring each user's preferences. */
async function emit(tx: Tx, items: Item[], o: Opts): Promise<number> {
  if (items.length === 0) return 0;
  const userIds = [...new Set(items.map((i) => i.userId))];
  const prefs = await tx.execute<{
    id: string;
    email: string;
    kind: string | null;
    in_app: boolean | null;
    by_email: boolean | null;
  }>(sql`
    select u.id, u.email, p.kind, p.in_app, p.email as by_email
      from users u left join notification_preferences p on p.user_id = u.id
     where u.id in (${sql.join(
       userIds.map((id) => sql`${id}::uuid`),
       sql`, `,
     )})`);
  const address = new Map<string, string>();
  const pref = new Map<string, { inApp: boolean; email: boolean }>();
  for (const p of prefs) {
    address.set(p.id, p.email);
    if (p.kind) pref.set(`${p.id}:${p.kind}`, { inApp: !!p.in_app, email: !!p.by_email });
  }
  let created = 0;
  for (const it of items) {
    const want = pref.get(`${it.userId}:${it.kind}`) ?? KIND_INFO[it.kind];
    const byEmail = o.email && want.email && address.has(it.userId);
    if (!want.inApp && !byEmail) continue;
    const [row] = await tx.execute<{ id: string }>(sql`
      insert into notifications (user_id, kind, title, body, link, dedupe_key, details, in_app, created_at)
      values (${it.userId}, ${it.kind}, ${it.title}, ${it.body}, ${it.link}, ${it.dedupeKey},
              ${JSON.stringify(it.details ?? {})}::jsonb, ${want.inApp}, ${iso(o.now)}::timestamptz)
      on conflict (dedupe_key) do nothing
      returning id`);
    if (!row) continue;
    created += 1;
    if (byEmail)
      await tx.execute(sql`
        insert into notification_outbox (notification_id, to_address, subject, body, next_attempt_at)
        values (${row.id}, ${address.get(it.userId)!}, ${it.title}, ${emailBody(it.body, it.link, o)},
                ${iso(it.sendAt ?? o.now)}::timestamptz)
        on conflict (notification_id) do nothing`);
  }
  return created;
}
