import "server-only";
import { and, eq, inArray, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import {
  copyPositions,
  copyRelationships,
  instruments,
  leaders,
  orders,
  positions,
  quotes,
} from "../../db/schema";
import { D, fmt, ZERO, type Decimal } from "../domain/money";
import { copyPnl, markPrice } from "../domain/valuation";
import { isMarketOpen } from "../market/hours";
import { primaryAccount } from "./accounts";
import { OPEN_ORDER_STATUSES } from "./leader-console";

/**
 * Where a slice of an account position came from. A running copy's share is the engine's
 * to manage; what a stopped copy left behind ("kept") and what the follower traded by hand
 * ("manual") belong to no copy, so only those can be closed from the portfolio
 * (docs/adr/0030-manual-trades-belong-to-no-copy.md).
 */
export type Origin =
  | { kind: "copy"; copyId: string; leaderName: string; leaderHandle: string; status: string }
  | { kind: "kept"; copyId: string; leaderName: string; leaderHandle: string }
  | { kind: "manual" };

export type PortfolioRow = {
  key: string;
  symbol: string;
  name: string;
  currency: string;
  qty: string;
  avgCost: string;
  /** Exit price: the bid for a long, the ask for a short (what closing now would get). */
  price: string;
  /** False when there is no quote yet and the price is the last known one. */
  quoted: boolean;
  marketValue: string;
  unrealized: string;
  origin: Origin;
  closable: boolean;
  marketOpen: boolean;
};

type Share = { qty: Decimal; avgCost: string; origin: Origin };

/**
 * Splits one account position into its origins. Running copies own exactly their
 * copy_positions quantity; a stopped copy that kept its positions owns what is still there
 * of it (a manual sale of kept units reduces the account, not the stopped copy's record, so
 * its share is capped by what remains); anything left is the follower's own.
 */
export function splitByOrigin(
  accountQty: Decimal.Value,
  accountAvgCost: string,
  running: Share[],
  kept: Share[],
): Share[] {
  const out: Share[] = [];
  let rest = D(accountQty);
  for (const r of running) {
    if (r.qty.isZero()) continue;
    out.push(r);
    rest = rest.minus(r.qty);
  }
  for (const k of kept) {
    if (k.qty.isZero() || rest.isZero() || k.qty.isPos() !== rest.isPos()) continue;
    const take = k.qty.abs().lt(rest.abs()) ? k.qty : rest;
    out.push({ ...k, qty: take });
    rest = rest.minus(take);
  }
  if (!rest.isZero()) out.push({ qty: rest, avgCost: accountAvgCost, origin: { kind: "manual" } });
  return out;
}

/**
 * The follower's whole account: cash, every position at market with its origin and P&L,
 * and what was put in, so the dashboard can say how the account has done overall.
 */
export async function portfolio(db: Db, userId: string, now: Date = new Date()) {
  const account = await primaryAccount(db, userId);
  if (!account) return null;
  const held = await db
    .select()
    .from(positions)
    .where(and(eq(positions.brokerAccountId, account.id), sql`${positions.qty} <> 0`));
  const shares = await db
    .select({
      cp: copyPositions,
      status: copyRelationships.status,
      closeOnStop: copyRelationships.closeOnStop,
      leaderName: leaders.displayName,
      leaderHandle: leaders.handle,
    })
    .from(copyPositions)
    .innerJoin(copyRelationships, eq(copyRelationships.id, copyPositions.relationshipId))
    .innerJoin(leaders, eq(leaders.id, copyRelationships.leaderId))
    .where(and(eq(copyRelationships.brokerAccountId, account.id), sql`${copyPositions.qty} <> 0`));
  const symbols = [...new Set(held.map((h) => h.symbol))];
  const specs = symbols.length
    ? await db.select().from(instruments).where(inArray(instruments.symbol, symbols))
    : [];
  const qs = symbols.length
    ? await db.select().from(quotes).where(inArray(quotes.symbol, symbols))
    : [];
  const spec = new Map(specs.map((i) => [i.symbol, i]));
  const quote = new Map(qs.map((q) => [q.symbol, q]));
  const mult = new Map(specs.map((i) => [i.symbol, i.multiplier]));

  // Manual sells not yet filled: the close button must not offer the same units twice.
  const working = await db
    .select({ symbol: orders.symbol })
    .from(orders)
    .where(
      and(
        eq(orders.brokerAccountId, account.id),
        eq(orders.origin, "manual"),
        inArray(orders.status, [...OPEN_ORDER_STATUSES]),
      ),
    );
  const busy = new Set(working.map((w) => w.symbol));

  const rows: PortfolioRow[] = [];
  let value = ZERO;
  for (const p of held.sort((a, b) => a.symbol.localeCompare(b.symbol))) {
    const mine = shares.filter((s) => s.cp.symbol === p.symbol);
    const running = mine
      // A stopped copy that closes its positions still owns them until the closing fills land.
      .filter((s) => s.status !== "stopped" || s.closeOnStop)
      .map((s) => ({
        qty: D(s.cp.qty),
        avgCost: s.cp.avgCost,
        origin: {
          kind: "copy" as const,
          copyId: s.cp.relationshipId,
          leaderName: s.leaderName,
          leaderHandle: s.leaderHandle,
          status: s.status === "stopped" ? "closing" : s.status,
        },
      }));
    const kept = mine
      .filter((s) => s.status === "stopped" && !s.closeOnStop)
      .map((s) => ({
        qty: D(s.cp.qty),
        avgCost: s.cp.avgCost,
        origin: {
          kind: "kept" as const,
          copyId: s.cp.relationshipId,
          leaderName: s.leaderName,
          leaderHandle: s.leaderHandle,
        },
      }));
    const i = spec.get(p.symbol);
    const q = quote.get(p.symbol);
    const open = i ? isMarketOpen(i, now) : false;
    for (const s of splitByOrigin(p.qty, p.avgCost, running, kept)) {
      // The one valuation (domain/valuation.ts): exit prices; unquoted at the last known price.
      const exit = markPrice(s.qty, q, "exit", s.avgCost);
      const mv = s.qty.times(exit).times(mult.get(p.symbol) ?? "1");
      value = value.plus(mv);
      const unrealized = copyPnl(
        [{ symbol: p.symbol, qty: fmt(s.qty), avgCost: s.avgCost, realizedPnl: "0", fees: "0" }],
        quote,
        mult,
      );
      rows.push({
        key: `${p.symbol}:${s.origin.kind === "manual" ? "manual" : s.origin.copyId}`,
        symbol: p.symbol,
        name: i?.name ?? p.symbol,
        currency: i?.currency ?? account.currency,
        qty: fmt(s.qty),
        avgCost: s.avgCost,
        price: fmt(exit),
        quoted: Boolean(q),
        marketValue: fmt(mv.toDecimalPlaces(2)),
        unrealized: fmt(unrealized.toDecimalPlaces(2)),
        origin: s.origin,
        closable: s.origin.kind !== "copy" && !busy.has(p.symbol),
        marketOpen: open,
      });
    }
  }
  const invested = await netDeposits(db, account.id);
  // Totals from the cent-rounded parts, so the figures on the page add up exactly.
  const cash = D(account.cash).toDecimalPlaces(2);
  const positionsValue = value.toDecimalPlaces(2);
  const equity = cash.plus(positionsValue);
  const pnl = equity.minus(invested);
  return {
    accountId: account.id,
    currency: account.currency,
    cash: fmt(cash),
    positionsValue: fmt(positionsValue),
    equity: fmt(equity),
    invested: fmt(invested.toDecimalPlaces(2)),
    pnl: fmt(pnl.toDecimalPlaces(2)),
    /** Simple return on the money put in (a fraction); null before any deposit. */
    returnPct: invested.gt(0) ? fmt(pnl.div(invested).toDecimalPlaces(6)) : null,
    positions: rows,
    workingManualOrders: working.length,
    asOf: now,
  };
}

/** Deposits minus withdrawals on the account's cash, from the ledger (the one record of money in). */
async function netDeposits(db: Db, brokerAccountId: string): Promise<Decimal> {
  const [row] = await db.execute<{ total: string | null }>(sql`
    select sum(p.amount)::text as total
      from postings p
      join journals j on j.id = p.journal_id
      join ledger_accounts a on a.id = p.ledger_account_id
     where a.code = ${`account:${brokerAccountId}:cash`}
       and j.kind in ('deposit', 'withdrawal')`);
  return D(row?.total ?? 0);
}

/**
 * The follower's own long units of one instrument (bought by hand or kept from a stopped
 * copy): what a manual sell may take without touching a running copy's share.
 */
export async function ownUnits(db: Db, userId: string, symbol: string): Promise<Decimal> {
  const view = await portfolio(db, userId);
  return (view?.positions ?? [])
    .filter((r) => r.symbol === symbol && r.origin.kind !== "copy" && D(r.qty).isPos())
    .reduce((a, r) => a.plus(r.qty), ZERO);
}

/**
 * What "Close" on a portfolio row sends: the follower's own units of that instrument (the
 * account position minus running copies' shares, minus manual orders still working),
 * as a market order the other way. Null with a reason in words when there is nothing to
 * close or the market is shut.
 */
export async function closeOrderFor(
  db: Db,
  userId: string,
  symbol: string,
  now: Date = new Date(),
): Promise<
  | { ok: true; brokerAccountId: string; side: "buy" | "sell"; qty: string }
  | { ok: false; code: "NOT_FOUND" | "PRECONDITION_FAILED" | "CONFLICT"; message: string }
> {
  const view = await portfolio(db, userId, now);
  if (!view) return { ok: false, code: "NOT_FOUND", message: "You have no account yet." };
  const own = view.positions.filter((r) => r.symbol === symbol && r.origin.kind !== "copy");
  if (own.length === 0) {
    const copied = view.positions.some((r) => r.symbol === symbol);
    return copied
      ? {
          ok: false,
          code: "PRECONDITION_FAILED",
          message: `${symbol} is held by a running copy. Stop or pause that copy to change it; selling it here would put the copy out of line with its leader.`,
        }
      : { ok: false, code: "NOT_FOUND", message: `You hold no ${symbol} to close.` };
  }
  if (own.some((r) => !r.closable))
    return {
      ok: false,
      code: "CONFLICT",
      message: `An order for ${symbol} is already working. Wait for it to fill before closing again.`,
    };
  if (!own[0]!.marketOpen)
    return {
      ok: false,
      code: "PRECONDITION_FAILED",
      message: `The market for ${symbol} is closed now. Close the position when it opens.`,
    };
  const total = own.reduce((a, r) => a.plus(r.qty), ZERO);
  return {
    ok: true,
    brokerAccountId: view.accountId,
    side: total.isPos() ? "sell" : "buy",
    qty: fmt(total.abs()),
  };
}
