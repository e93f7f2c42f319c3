import { sql } from "drizzle-orm";
import type { EngineDeps } from "../deps";
import { bulkInsert } from "../core/bulk";
import { groupBy } from "../core/concurrency";
import { fxAdd, fx, fxText } from "../../domain/fixed";
import { valuer, type HeldPosition } from "../../domain/valuation";

/**
 * Today's equity snapshot (UTC day) for every leader, every copy and every follower account,
 * rewritten during the day and final at its end, so pages read history instead of
 * recomputing it. `netFlow` is the day's deposits minus withdrawals, which the time-weighted
 * return splits sub-periods at. A copy's equity is its allocation (reference capital) plus
 * its P&L after fees.
 *
 * Set-based (ADR 0045): one query per kind for all owners, one valuation (`valuer`, each
 * quote and multiplier parsed once for the whole run), one multi-row write per 5 000 rows.
 * The last fill prices, the fallback for a symbol without a quote, are read only for such
 * symbols: reading them for every symbol sorted every fill ever booked, on every run.
 */
export async function snapshotEquity(deps: EngineDeps): Promise<number> {
  const db = deps.db;
  const now = deps.clock.now();
  const day = now.toISOString().slice(0, 10);
  const dayStart = `${day}T00:00:00Z`;
  const rows: {
    owner_type: string;
    owner_id: string;
    day: string;
    equity: string;
    net_flow: string;
  }[] = [];

  const q = new Map(
    (
      await db.execute<{ symbol: string; bid: string; ask: string }>(
        sql`select symbol, bid, ask from quotes`,
      )
    ).map((x) => [x.symbol, x]),
  );
  const mult = new Map(
    (
      await db.execute<{ symbol: string; multiplier: string }>(
        sql`select symbol, multiplier from instruments`,
      )
    ).map((i) => [i.symbol, i.multiplier]),
  );
  const quoted = [...q.keys()];
  const value = valuer(q, mult);

  // Leaders: books, held positions, (for unquoted symbols) last fill prices and the day's
  // cash flows with one query each, valued at exit prices exactly as
  // `leaderEquity(db, id, "exit")` values one leader.
  const books = await db.execute<{ id: string; cash: string | null }>(
    sql`select l.id, b.cash from leaders l left join leader_books b on b.leader_id = l.id`,
  );
  const leaderHeld = groupBy(
    await db.execute<{ leader_id: string; symbol: string; qty: string }>(
      sql`select leader_id, symbol, qty from leader_positions where qty <> 0`,
    ),
    (p) => p.leader_id,
  );
  const leaderLast = new Map(
    (
      await db.execute<{ leader_id: string; symbol: string; price: string }>(sql`
      select p.leader_id, p.symbol, f.price from leader_positions p
        cross join lateral (select price from leader_fills f
                             where f.leader_id = p.leader_id and f.symbol = p.symbol
                             order by f.event_seq desc limit 1) f
       where p.qty <> 0 and p.symbol <> all(${sql.param(quoted)}::text[])`)
    ).map((r) => [`${r.leader_id}|${r.symbol}`, r.price]),
  );
  const leaderFlows = new Map(
    (
      await db.execute<{ stream: string; total: string | null }>(sql`
      select stream, sum((payload->>'amount')::numeric)::text as total from events
       where stream = any(${sql.param(books.map((l) => `leader:${l.id}`))}::text[]) and type = 'leader_cash' and at >= ${dayStart}::timestamptz
       group by stream`)
    ).map((r) => [r.stream, r.total]),
  );
  for (const l of books) {
    const equity = value.bookEquity(
      l.cash ?? "0",
      (leaderHeld.get(l.id) ?? []).map((h) => ({
        symbol: h.symbol,
        qty: h.qty,
        lastPrice: leaderLast.get(`${l.id}|${h.symbol}`) ?? "0",
      })),
      "exit", // performance is valued at exit prices, as copies and accounts are
    );
    rows.push(row("leader", l.id, day, fxText(equity), leaderFlows.get(`leader:${l.id}`) ?? "0"));
  }

  // Copies: every live one, and a stopped one on the day it stopped (history ends there).
  const rels = await db.execute<{ id: string; ref: string }>(sql`
    select id, reference_capital as ref from copy_relationships
     where status <> 'stopped' or stopped_at is null or stopped_at >= ${dayStart}::timestamptz`);
  const held = groupBy(
    await db.execute<HeldPosition & { relationship_id: string }>(sql`
      select relationship_id, symbol, qty, avg_cost as "avgCost", realized_pnl as "realizedPnl", fees
        from copy_positions`),
    (h) => h.relationship_id,
  );
  for (const r of rels) {
    const equity = fxAdd(fx(r.ref), value.copyPnl(held.get(r.id) ?? []));
    rows.push(row("copy", r.id, day, fxText(equity), "0"));
  }

  // Follower accounts: cash plus positions, unquoted symbols at their last fill price.
  const accounts = await db.execute<{ id: string; cash: string }>(
    sql`select broker_account_id as id, cash from account_balances`,
  );
  const positions = await db.execute<{
    account: string;
    symbol: string;
    qty: string;
    avg_cost: string;
  }>(sql`select broker_account_id as account, symbol, qty, avg_cost from positions where qty <> 0`);
  const positionsOf = groupBy(positions, (p) => p.account);
  const flows = await db.execute<{ account: string; total: string }>(sql`
    select substring(a.code from 'account:(.*):cash') as account, sum(p.amount)::text as total
      from journals j join postings p on p.journal_id = j.id join ledger_accounts a on a.id = p.ledger_account_id
     where j.kind in ('deposit', 'withdrawal') and j.at >= ${dayStart}::timestamptz and a.code like 'account:%:cash'
     group by 1`);
  const flowOf = new Map(flows.map((f) => [f.account, f.total]));
  const unquoted = [...new Set(positions.map((p) => p.symbol))].filter((s) => !q.has(s));
  const lastFill = new Map(
    unquoted.length
      ? (
          await db.execute<{ symbol: string; price: string }>(sql`
          -- Not a charge (domain/bookkeeping.ts isCharge: quantity 0, no price).
          select distinct on (o.symbol) o.symbol, f.price from fills f join orders o on o.id = f.order_id
           where o.symbol = any(${sql.param(unquoted)}::text[]) and f.qty > 0
           order by o.symbol, f.filled_at desc`)
        ).map((r) => [r.symbol, r.price])
      : [],
  );
  for (const a of accounts) {
    const equity = value.bookEquity(
      a.cash,
      (positionsOf.get(a.id) ?? []).map((p) => ({
        symbol: p.symbol,
        qty: p.qty,
        lastPrice: lastFill.get(p.symbol) ?? p.avg_cost,
      })),
    );
    rows.push(row("follower", a.id, day, fxText(equity), flowOf.get(a.id) ?? "0"));
  }

  await bulkInsert(
    db,
    "equity_snapshots",
    { owner_type: "text", owner_id: "text", day: "date", equity: "numeric", net_flow: "numeric" },
    rows,
    {
      onConflict:
        "on conflict (owner_type, owner_id, day) do update set equity = excluded.equity, net_flow = excluded.net_flow",
    },
  );
  return rows.length;
}

function row(
  ownerType: "leader" | "copy" | "follower",
  ownerId: string,
  day: string,
  equity: string,
  netFlow: string,
) {
  return { owner_type: ownerType, owner_id: ownerId, day, equity, net_flow: netFlow };
}
