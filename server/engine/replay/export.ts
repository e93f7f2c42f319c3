import { and, asc, eq, gt, gte, inArray, lt } from "drizzle-orm";
import type { Db } from "../../../db/client";
import {
  candles,
  events,
  instruments,
  leaderBooks,
  leaderPositions,
  leaders,
  quotes,
} from "../../../db/schema";
import { D, ZERO, fmt, roundToTick, type Decimal } from "../../domain/money";
import { parseScenario, ScenarioError, type Scenario } from "./scenario";

/**
 * A leader's recorded stream of the last `days` days as a replay scenario
 * (../shared/replay-format.md), for `npm run replay:export` and for what-if runs alike.
 *
 * - The leader starts with its book as it stood at the window's start: its cash then plus
 *   one opening fill per position it held (at that day's recorded price), so every recorded
 *   fill in the window moves the replayed leader exactly as it moved the real one.
 * - Quotes: the recorded market is candles, which carry no bid and ask. Before each leader
 *   fill the market is the leader's own price, and at each day's end the day's close, each
 *   widened by the instrument's latest spread (one tick when none is known) — so a
 *   follower pays a spread, never a price nobody recorded. The last quote is the latest one.
 * - Cash: every leader deposit or withdrawal in the window.
 * docs/adr/0066-what-if-runs.md says why.
 */
export type ExportOptions = {
  /** The leader's handle (or id). */
  leader: string;
  days: number;
  now?: Date;
  followers?: Scenario["followers"];
};

export class ExportError extends Error {}

export async function exportLeaderScenario(db: Db, opts: ExportOptions): Promise<Scenario> {
  if (!Number.isInteger(opts.days) || opts.days < 1 || opts.days > 366)
    throw new ExportError("days must be a whole number from 1 to 366");
  const now = opts.now ?? new Date();
  const from = new Date(now.getTime() - opts.days * 86_400_000);
  const isUuid = /^[0-9a-f-]{36}$/i.test(opts.leader);
  const [leader] = await db
    .select()
    .from(leaders)
    .where(isUuid ? eq(leaders.id, opts.leader) : eq(leaders.handle, opts.leader));
  if (!leader) throw new ExportError(`no leader with handle ${opts.leader}`);

  const stream = await db
    .select()
    .from(events)
    .where(
      and(
        eq(events.stream, `leader:${leader.id}`),
        inArray(events.type, ["leader_fill", "leader_cash"]),
        gte(events.at, from),
        lt(events.at, now),
      ),
    )
    .orderBy(asc(events.seq));
  const [book] = await db.select().from(leaderBooks).where(eq(leaderBooks.leaderId, leader.id));
  const held = await db
    .select()
    .from(leaderPositions)
    .where(eq(leaderPositions.leaderId, leader.id));
  // Events after `now` (a run started a moment ago) are undone as well as those in the window.
  const later = await db
    .select()
    .from(events)
    .where(
      and(
        eq(events.stream, `leader:${leader.id}`),
        inArray(events.type, ["leader_fill", "leader_cash"]),
        gte(events.at, now),
      ),
    );

  const symbols = new Set<string>(held.filter((h) => !D(h.qty).isZero()).map((h) => h.symbol));
  for (const e of [...stream, ...later])
    if (e.type === "leader_fill") symbols.add(String(e.payload.symbol));
  const specs = symbols.size
    ? await db
        .select()
        .from(instruments)
        .where(inArray(instruments.symbol, [...symbols]))
    : [];
  const spec = new Map(specs.map((i) => [i.symbol, i]));
  const latest = new Map(
    (symbols.size
      ? await db
          .select()
          .from(quotes)
          .where(inArray(quotes.symbol, [...symbols]))
      : []
    ).map((q) => [q.symbol, q]),
  );

  // Undo the window (and anything after it) to get the book at its start.
  let cash = D(book?.cash ?? 0);
  const position = new Map(held.map((h) => [h.symbol, D(h.qty)]));
  for (const e of [...stream, ...later]) {
    const p = e.payload as Record<string, string>;
    if (e.type === "leader_cash") {
      cash = cash.minus(p.amount ?? 0);
      continue;
    }
    const signed = p.side === "sell" ? D(p.qty!).neg() : D(p.qty!);
    const m = D(spec.get(p.symbol!)?.multiplier ?? 1);
    cash = cash.plus(signed.times(p.price!).times(m)).plus(p.commission ?? 0);
    position.set(p.symbol!, (position.get(p.symbol!) ?? ZERO).minus(signed));
  }

  const dailies = symbols.size
    ? await db
        .select()
        .from(candles)
        .where(
          and(
            inArray(candles.symbol, [...symbols]),
            eq(candles.interval, "1d"),
            gt(candles.openTime, new Date(from.getTime() - 2 * 86_400_000)),
            lt(candles.openTime, now),
          ),
        )
        .orderBy(asc(candles.openTime))
    : [];

  const quoteAround = (symbol: string, price: Decimal.Value) => {
    const i = spec.get(symbol)!;
    const q = latest.get(symbol);
    const spread = q ? D(q.ask).minus(q.bid) : D(i.tickSize);
    const half = spread.isZero() ? D(i.tickSize) : spread.div(2);
    const bid = roundToTick(D(price).minus(half), i.tickSize, "down");
    const ask = roundToTick(D(price).plus(half), i.tickSize, "up");
    return { bid: fmt(bid.lte(0) ? D(i.tickSize) : bid), ask: fmt(ask) };
  };
  const iso = (d: Date) => d.toISOString().replace(".000Z", "Z");
  const out: Scenario["events"] = [];
  let opening = ZERO;
  for (const [symbol, qty] of [...position].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (qty.isZero()) continue;
    // The price the position stood at when the window opened: the last daily close before
    // it, else the first fill in the window, else the latest quote.
    const close = [...dailies].reverse().find((c) => c.symbol === symbol && c.openTime <= from);
    const first = stream.find((e) => e.type === "leader_fill" && e.payload.symbol === symbol);
    const q = latest.get(symbol);
    const price = D(
      close?.close ??
        (first?.payload.price as string | undefined) ??
        (q ? D(q.bid).plus(q.ask).div(2) : null) ??
        0,
    );
    if (price.lte(0))
      throw new ExportError(`no recorded price for ${symbol} at the window's start`);
    opening = opening.plus(qty.times(price).times(spec.get(symbol)!.multiplier));
    out.push({ at: iso(from), type: "quote", symbol, ...quoteAround(symbol, price) });
    out.push({
      at: iso(from),
      type: "leader_fill",
      fillId: `open-${symbol}`,
      orderId: `open-${symbol}`,
      symbol,
      side: qty.isNeg() ? "sell" : "buy",
      qty: fmt(qty.abs()),
      price: fmt(price),
    });
  }

  type Timed = { at: number; order: number; ev: Scenario["events"][number] };
  const timed: Timed[] = [];
  let n = 0;
  for (const e of stream) {
    const p = e.payload as Record<string, string>;
    if (e.type === "leader_cash") {
      timed.push({
        at: e.at.getTime(),
        order: n++,
        ev: { at: iso(e.at), type: "cash", account: leader.handle, amount: fmt(p.amount ?? "0") },
      });
      continue;
    }
    timed.push({
      at: e.at.getTime(),
      order: n++,
      ev: { at: iso(e.at), type: "quote", symbol: p.symbol!, ...quoteAround(p.symbol!, p.price!) },
    });
    timed.push({
      at: e.at.getTime(),
      order: n++,
      ev: {
        at: iso(e.at),
        type: "leader_fill",
        fillId: p.fillId!,
        orderId: p.orderId ?? p.fillId!,
        symbol: p.symbol!,
        side: p.side === "sell" ? "sell" : "buy",
        qty: fmt(p.qty!),
        price: fmt(p.price!),
      },
    });
  }
  const dailyClose = new Set<Timed>();
  for (const c of dailies) {
    const at = new Date(c.openTime.getTime() + 86_399_000);
    if (at <= from || at >= now) continue;
    const t: Timed = {
      at: at.getTime(),
      order: n++,
      ev: { at: iso(at), type: "quote", symbol: c.symbol, ...quoteAround(c.symbol, c.close) },
    };
    dailyClose.add(t);
    timed.push(t);
  }
  for (const [symbol, q] of latest) {
    const at = q.at < now ? q.at : now;
    timed.push({
      at: Math.max(at.getTime(), from.getTime()),
      order: n++,
      ev: {
        at: iso(new Date(Math.max(at.getTime(), from.getTime()))),
        type: "quote",
        symbol,
        bid: fmt(q.bid),
        ask: fmt(q.ask),
      },
    });
  }
  timed.sort((a, b) => a.at - b.at || a.order - b.order);
  // A day's close matters only for what is held: a symbol the leader is flat in (so any
  // follower is too, once it has copied the close) is left out, which keeps runs short.
  const holding = new Map(position);
  for (const t of timed) {
    if (t.ev.type === "leader_fill") {
      const q = D(t.ev.qty);
      holding.set(
        t.ev.symbol,
        (holding.get(t.ev.symbol) ?? ZERO).plus(t.ev.side === "sell" ? q.neg() : q),
      );
    }
    if (dailyClose.has(t) && (holding.get((t.ev as { symbol: string }).symbol) ?? ZERO).isZero())
      continue;
    out.push(t.ev);
  }

  const scenario = {
    name: `${leader.handle} last ${opts.days} days to ${iso(now)}`,
    seed: `${leader.handle}:${iso(now)}`,
    instruments: [...symbols].sort().map((s) => {
      const i = spec.get(s)!;
      return {
        symbol: s,
        currency: i.currency,
        tickSize: fmt(i.tickSize),
        qtyStep: fmt(i.qtyStep),
        minQty: fmt(i.minQty),
        minNotional: fmt(i.minNotional),
        multiplier: fmt(i.multiplier),
        commissionPerUnit: fmt(i.commissionPerUnit),
      };
    }),
    leader: { id: leader.handle, cash: fmt(cash.plus(opening)) },
    followers: opts.followers ?? [],
    events: out,
  };
  if (scenario.instruments.length === 0)
    throw new ExportError(
      `${leader.handle} has no recorded fills or positions in the last ${opts.days} days`,
    );
  try {
    return parseScenario(scenario);
  } catch (err) {
    if (err instanceof ScenarioError)
      throw new ExportError(`the recorded stream is not a valid scenario: ${err.message}`);
    throw err;
  }
}
