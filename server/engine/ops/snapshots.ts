import { eq, sql } from "drizzle-orm";
import {
  copyPositions,
  copyRelationships,
  equitySnapshots,
  instruments,
  leaderBooks,
  leaderPositions,
  leaders,
  quotes,
} from "../../../db/schema";
import { D, fmt, ZERO } from "../../domain/money";
import type { EngineDeps } from "../deps";
import { groupBy } from "../core/concurrency";
import { bookEquity, copyPnl } from "../../domain/valuation";

/**
 * Today's equity snapshot (UTC day) for every leader, every copy and every follower account,
 * rewritten during the day and final at its end, so pages read history instead of
 * recomputing it. `netFlow` is the day's deposits minus withdrawals, which the time-weighted
 * return splits sub-periods at. A copy's equity is its allocation (reference capital) plus
 * its P&L after fees.
 */
export async function snapshotEquity(deps: EngineDeps): Promise<number> {
  const now = deps.clock.now();
  const day = now.toISOString().slice(0, 10);
  const dayStart = `${day}T00:00:00Z`;
  const rows: (typeof equitySnapshots.$inferInsert)[] = [];

  const q = new Map((await deps.db.select().from(quotes)).map((x) => [x.symbol, x]));
  const mult = new Map(
    (
      await deps.db.select({ s: instruments.symbol, m: instruments.multiplier }).from(instruments)
    ).map((i) => [i.s, i.m]),
  );

  // Leaders, set-based (ADR 0045): books, held positions, last fill prices and the day's
  // cash flows with one query each, valued by the one valuation at exit prices, exactly as
  // `leaderEquity(db, id, "exit")` values one leader.
  const books = await deps.db
    .select({ id: leaders.id, cash: leaderBooks.cash })
    .from(leaders)
    .leftJoin(leaderBooks, eq(leaderBooks.leaderId, leaders.id));
  const leaderHeld = groupBy(
    await deps.db
      .select({
        leaderId: leaderPositions.leaderId,
        symbol: leaderPositions.symbol,
        qty: leaderPositions.qty,
      })
      .from(leaderPositions)
      .where(sql`${leaderPositions.qty} <> 0`),
    (p) => p.leaderId,
  );
  const leaderLast = new Map(
    leaderHeld.size
      ? (
          await deps.db.execute<{ leader_id: string; symbol: string; price: string }>(sql`
            select distinct on (f.leader_id, f.symbol) f.leader_id, f.symbol, f.price
              from leader_fills f join leader_positions p on p.leader_id = f.leader_id and p.symbol = f.symbol and p.qty <> 0
             order by f.leader_id, f.symbol, f.event_seq desc`)
        ).map((r) => [`${r.leader_id}|${r.symbol}`, r.price])
      : [],
  );
  const leaderFlows = new Map(
    books.length
      ? (
          await deps.db.execute<{ stream: string; total: string | null }>(sql`
            select stream, sum((payload->>'amount')::numeric)::text as total from events
             where stream in ${books.map((l) => `leader:${l.id}`)} and type = 'leader_cash' and at >= ${dayStart}::timestamptz
             group by stream`)
        ).map((r) => [r.stream, r.total])
      : [],
  );
  for (const l of books) {
    rows.push({
      ownerType: "leader",
      ownerId: l.id,
      day,
      // Performance is valued at exit prices, as copies and accounts are.
      equity: fmt(
        bookEquity({
          cash: l.cash ?? 0,
          positions: (leaderHeld.get(l.id) ?? []).map((h) => ({
            symbol: h.symbol,
            qty: h.qty,
            lastPrice: leaderLast.get(`${l.id}|${h.symbol}`) ?? 0,
          })),
          quotes: q,
          multipliers: mult,
          basis: "exit",
        }),
      ),
      netFlow: fmt(leaderFlows.get(`leader:${l.id}`) ?? 0),
    });
  }

  const rels = await deps.db
    .select({
      id: copyRelationships.id,
      ref: copyRelationships.referenceCapital,
      status: copyRelationships.status,
      stoppedAt: copyRelationships.stoppedAt,
    })
    .from(copyRelationships);
  const held = await deps.db.select().from(copyPositions);
  const byRel = groupBy(held, (h) => h.relationshipId);
  for (const r of rels) {
    if (r.status === "stopped" && r.stoppedAt && r.stoppedAt.toISOString().slice(0, 10) < day)
      continue; // history ends at the stop
    rows.push({
      ownerType: "copy",
      ownerId: r.id,
      day,
      equity: fmt(D(r.ref).plus(copyPnl(byRel.get(r.id) ?? [], q, mult))),
      netFlow: "0",
    });
  }

  const accounts = await deps.db.execute<{ id: string; cash: string }>(
    sql`select broker_account_id as id, cash from account_balances`,
  );
  const positions = await deps.db.execute<{
    account: string;
    symbol: string;
    qty: string;
    avg_cost: string;
  }>(sql`select broker_account_id as account, symbol, qty, avg_cost from positions where qty <> 0`);
  const positionsOf = groupBy(positions, (p) => p.account);
  const flows = await deps.db.execute<{ account: string; total: string }>(sql`
    select substring(a.code from 'account:(.*):cash') as account, sum(p.amount)::text as total
      from journals j join postings p on p.journal_id = j.id join ledger_accounts a on a.id = p.ledger_account_id
     where j.kind in ('deposit', 'withdrawal') and j.at >= ${dayStart}::timestamptz and a.code like 'account:%:cash'
     group by 1`);
  const flowOf = new Map(flows.map((f) => [f.account, f.total]));
  const lastFill = new Map(
    (
      await deps.db.execute<{ symbol: string; price: string }>(sql`
        select distinct on (o.symbol) o.symbol, f.price from fills f join orders o on o.id = f.order_id
         order by o.symbol, f.filled_at desc`)
    ).map((r) => [r.symbol, r.price]),
  );
  for (const a of accounts) {
    const equity = bookEquity({
      cash: a.cash,
      positions: (positionsOf.get(a.id) ?? []).map((p) => ({
        ...p,
        lastPrice: lastFill.get(p.symbol) ?? p.avg_cost,
      })),
      quotes: q,
      multipliers: mult,
    });
    rows.push({
      ownerType: "follower",
      ownerId: a.id,
      day,
      equity: fmt(equity),
      netFlow: fmt(flowOf.get(a.id) ?? ZERO),
    });
  }

  for (let i = 0; i < rows.length; i += 1000) {
    await deps.db
      .insert(equitySnapshots)
      .values(rows.slice(i, i + 1000))
      .onConflictDoUpdate({
        target: [equitySnapshots.ownerType, equitySnapshots.ownerId, equitySnapshots.day],
        set: { equity: sql`excluded.equity`, netFlow: sql`excluded.net_flow` },
      });
  }
  return rows.length;
}
