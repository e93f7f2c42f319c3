import { and, eq, inArray, isNull, sql } from "drizzle-orm";
import {
  accountBalances,
  circuitBreakers,
  copyDayMarks,
  copyPositions,
  copyRelationships,
  copySymbolRatios,
  instruments,
  leaderFlags,
  orders,
  positions,
  quotes,
} from "../../../db/schema";
import {
  FX_ZERO,
  fx,
  fxAbs,
  fxMinus,
  fxNeg,
  fxPlus,
  fxText,
  toFx,
  type Fixed,
  type Num,
} from "../../domain/fixed";
import { D, fmt, ZERO } from "../../domain/money";
import {
  fxAvailableFunds,
  planCopyOrder,
  type LeaderMove,
  type Plan,
  type PlanInstrument,
  type WorkingOrder,
} from "../../domain/planner";
import { copyPnl, type HeldPosition } from "../../domain/valuation";
import { groupBy } from "../core/concurrency";
import type { Tx } from "../core/streams";
import { anyOf } from "../core/bulk";

/**
 * The columns of a copy that planning reads: 16 of the row's 41. The fan-out and
 * reconciliation select these and nothing else: every column of every row read costs the
 * driver and the query builder's row mapping (at 10 000 followers the whole rows were
 * 410 000 values, ADR 0041, session 13). A field the planner starts to use goes here.
 */
export const relColumns = {
  id: copyRelationships.id,
  leaderId: copyRelationships.leaderId,
  brokerAccountId: copyRelationships.brokerAccountId,
  status: copyRelationships.status,
  sizingMode: copyRelationships.sizingMode,
  ratio: copyRelationships.ratio,
  notional: copyRelationships.notional,
  maxSymbolExposure: copyRelationships.maxSymbolExposure,
  maxOpenPositions: copyRelationships.maxOpenPositions,
  maxSlippageBps: copyRelationships.maxSlippageBps,
  dailyLossLimit: copyRelationships.dailyLossLimit,
  onLeaderFlag: copyRelationships.onLeaderFlag,
  onInsufficientFunds: copyRelationships.onInsufficientFunds,
  feesCharged: copyRelationships.feesCharged,
  startedAt: copyRelationships.startedAt,
  copyOpenPositions: copyRelationships.copyOpenPositions,
};
export type Rel = {
  [K in keyof typeof relColumns]: (typeof copyRelationships.$inferSelect)[K];
} & { broker: string };
type InstrumentRow = typeof instruments.$inferSelect;

export const LIVE_ORDER = sql`${orders.status} not in ('filled','cancelled','rejected','expired')`;

/**
 * Everything the planner needs for a set of copies, loaded with one query per kind: the
 * fan-out (one symbol, a batch of one leader's followers) and reconciliation (every symbol
 * of every copy) both plan through `planFor`, so they see the same state the same way.
 */
export type PlanContext = {
  instruments: Map<string, InstrumentRow>;
  quotes: Map<string, { bid: string; ask: string }>;
  copyPositions: Map<string, (typeof copyPositions.$inferSelect)[]>;
  /** Signed quantity on its way, by `relationshipId|symbol`. */
  openQty: Map<string, Fixed>;
  /** Funds each account may still spend on increases; planning deducts from it. */
  funds: Map<string, Fixed>;
  fixedRatios: Map<string, Fixed>;
  /** Today's loss so far (positive = loss) of each copy with a daily loss limit. */
  dailyLoss: Map<string, Fixed>;
  breakers: (typeof circuitBreakers.$inferSelect)[];
  /** The open strategy-change flag's reason, by leader id (ADR 0035). */
  leaderFlags: Map<string, string>;
};

const key = (a: string, b: string) => `${a}|${b}`;

/** Instrument rows and quotes of these symbols, both sent at once. */
async function instrumentsAndQuotes(tx: Tx, symbols: readonly string[]) {
  const [inst, qs] = await Promise.all([
    tx
      .select()
      .from(instruments)
      .where(inArray(instruments.symbol, [...symbols])),
    tx
      .select()
      .from(quotes)
      .where(inArray(quotes.symbol, [...symbols])),
  ]);
  return { inst, qs };
}

export async function loadPlanContext(
  tx: Tx,
  rels: readonly Rel[],
  symbols: readonly string[],
  now: Date,
): Promise<PlanContext> {
  const relIds = rels.map((r) => r.id);
  const accountIds = [...new Set(rels.map((r) => r.brokerAccountId))];
  const leaderIds = [...new Set(rels.map((r) => r.leaderId))];
  // The reads that depend on nothing else, sent at once: inside the transaction they go
  // down the one connection back to back (postgres.js pipelines them), so the batch waits
  // for one round trip instead of nine. The answers are the same as one by one.
  const [cps, working, acctPositions, balanceRows, ratioRows, breakers, flagRows, fillInst] =
    await Promise.all([
      relIds.length
        ? tx.select().from(copyPositions).where(anyOf(copyPositions.relationshipId, relIds))
        : [],
      accountIds.length
        ? tx
            .select({
              account: orders.brokerAccountId,
              rel: orders.relationshipId,
              symbol: orders.symbol,
              side: orders.side,
              qty: orders.qty,
              filled: orders.filledQty,
              limitPrice: orders.limitPrice,
            })
            .from(orders)
            .where(and(anyOf(orders.brokerAccountId, accountIds), LIVE_ORDER))
            .orderBy(orders.createdAt, orders.clientOrderId)
        : [],
      // Only the columns the funds rule reads: a fan-out reads one balance per follower.
      accountIds.length
        ? tx
            .select({
              brokerAccountId: positions.brokerAccountId,
              symbol: positions.symbol,
              qty: positions.qty,
            })
            .from(positions)
            .where(anyOf(positions.brokerAccountId, accountIds))
        : [],
      accountIds.length
        ? tx
            .select({
              brokerAccountId: accountBalances.brokerAccountId,
              cash: accountBalances.cash,
            })
            .from(accountBalances)
            .where(anyOf(accountBalances.brokerAccountId, accountIds))
        : [],
      relIds.length
        ? tx.select().from(copySymbolRatios).where(anyOf(copySymbolRatios.relationshipId, relIds))
        : [],
      tx.select().from(circuitBreakers).where(isNull(circuitBreakers.closedAt)),
      leaderIds.length
        ? tx
            .select({ leaderId: leaderFlags.leaderId, reason: leaderFlags.reason })
            .from(leaderFlags)
            .where(and(inArray(leaderFlags.leaderId, leaderIds), isNull(leaderFlags.closedAt)))
        : [],
      symbols.length ? instrumentsAndQuotes(tx, symbols) : { inst: [], qs: [] },
    ]);
  // Symbols the accounts hold or work besides the ones asked for: one more round trip.
  const have = new Set(symbols);
  const others = [
    ...new Set([
      ...cps.map((p) => p.symbol),
      ...working.map((o) => o.symbol),
      ...acctPositions.map((p) => p.symbol),
    ]),
  ].filter((sym) => !have.has(sym));
  const more = others.length ? await instrumentsAndQuotes(tx, others) : { inst: [], qs: [] };
  const inst = new Map([...fillInst.inst, ...more.inst].map((i) => [i.symbol, i]));
  const qs = new Map(
    [...fillInst.qs, ...more.qs].map((q) => [q.symbol, { bid: q.bid, ask: q.ask }]),
  );

  const openQty = new Map<string, Fixed>();
  for (const o of working) {
    if (!o.rel) continue;
    const remaining = fxMinus(fx(o.qty), fx(o.filled));
    const k = key(o.rel, o.symbol);
    openQty.set(
      k,
      fxPlus(openQty.get(k) ?? FX_ZERO, o.side === "buy" ? remaining : fxNeg(remaining)),
    );
  }
  const balances = new Map(balanceRows.map((b) => [b.brokerAccountId, b.cash]));
  const posByAccount = groupBy(acctPositions, (p) => p.brokerAccountId);
  const ordersByAccount = groupBy(working, (o) => o.account);
  const funds = new Map<string, Fixed>();
  for (const a of accountIds) {
    funds.set(
      a,
      fxAvailableFunds({
        cash: balances.get(a) ?? "0",
        positions: new Map((posByAccount.get(a) ?? []).map((p) => [p.symbol, p.qty])),
        workingOrders: (ordersByAccount.get(a) ?? []).map((o): WorkingOrder<Num> => ({
          symbol: o.symbol,
          side: o.side,
          remaining: fxMinus(fx(o.qty), fx(o.filled)),
          limitPrice: o.limitPrice,
        })),
        quotes: qs,
        instruments: inst,
      }),
    );
  }

  const fixedRatios = new Map(ratioRows.map((r) => [key(r.relationshipId, r.symbol), fx(r.ratio)]));
  const posByRel = groupBy(cps, (p) => p.relationshipId);
  const dailyLoss = await loadDailyLoss(tx, rels, posByRel, qs, inst, now);
  const flags = new Map(flagRows.map((f) => [f.leaderId, f.reason]));
  return {
    instruments: inst,
    quotes: qs,
    copyPositions: posByRel,
    openQty,
    funds,
    fixedRatios,
    dailyLoss,
    breakers,
    leaderFlags: flags,
  };
}

/**
 * The copy's loss today: its P&L at the end of the previous UTC day (its mark for today,
 * written at the day's turn by `markDayStart`) minus its P&L now. A copy started today
 * starts from its P&L at the start, zero. A mark missed (no worker at midnight) is taken
 * now, the best still possible.
 */
async function loadDailyLoss(
  tx: Tx,
  rels: readonly Rel[],
  posByRel: Map<string, (typeof copyPositions.$inferSelect)[]>,
  qs: Map<string, { bid: string; ask: string }>,
  inst: Map<string, InstrumentRow>,
  now: Date,
): Promise<Map<string, Fixed>> {
  const limited = rels.filter((r) => r.dailyLossLimit !== null);
  const out = new Map<string, Fixed>();
  if (limited.length === 0) return out;
  const day = utcDay(now);
  const mult = new Map([...inst.values()].map((i) => [i.symbol, i.multiplier]));
  const pnlNow = new Map(
    limited.map((r) => [
      r.id,
      copyPnl((posByRel.get(r.id) ?? []) as HeldPosition[], qs, mult).minus(r.feesCharged),
    ]),
  );
  const marks = new Map(
    (
      await tx
        .select()
        .from(copyDayMarks)
        .where(
          and(
            anyOf(
              copyDayMarks.relationshipId,
              limited.map((r) => r.id),
            ),
            eq(copyDayMarks.day, day),
          ),
        )
    ).map((m) => [m.relationshipId, D(m.pnlAtStart)]),
  );
  const missing = limited.filter((r) => !marks.has(r.id));
  if (missing.length) {
    const rows = missing.map((r) => {
      const startedToday = r.startedAt !== null && utcDay(r.startedAt) === day;
      return {
        relationshipId: r.id,
        day,
        pnlAtStart: fmt(startedToday ? ZERO : pnlNow.get(r.id)!),
      };
    });
    await tx.insert(copyDayMarks).values(rows).onConflictDoNothing();
    for (const r of rows) marks.set(r.relationshipId, D(r.pnlAtStart));
  }
  for (const r of limited) out.set(r.id, fx(marks.get(r.id)!.minus(pnlNow.get(r.id)!)));
  return out;
}

export const utcDay = (d: Date) => d.toISOString().slice(0, 10);

/** The open breaker that stops increases for this copy and symbol, described, or null. */
export function breakerFor(
  ctx: PlanContext,
  leaderId: string,
  broker: string,
  brokerAccountId: string,
  symbol: string,
): string | null {
  // A broker breaker is keyed by the broker's name (all its accounts) or by
  // `broker:accountId` (one account the broker refuses, e.g. trading blocked).
  const b = ctx.breakers.find(
    (x) =>
      x.scope === "global" ||
      (x.scope === "leader" && x.scopeKey === leaderId) ||
      (x.scope === "instrument" && x.scopeKey === symbol) ||
      (x.scope === "broker" &&
        (x.scopeKey === broker || x.scopeKey === `${broker}:${brokerAccountId}`)),
  );
  return b ? `${b.scope}:${b.scopeKey} (${b.reason})` : null;
}

/** An instrument's numbers and quote, parsed once per context and symbol. */
type SymbolTerms = { instrument: PlanInstrument<Fixed>; quote: { bid: Fixed; ask: Fixed } | null };
const termsCache = new WeakMap<PlanContext, Map<string, SymbolTerms>>();

function termsFor(ctx: PlanContext, symbol: string): SymbolTerms {
  let bySymbol = termsCache.get(ctx);
  if (!bySymbol) termsCache.set(ctx, (bySymbol = new Map()));
  let t = bySymbol.get(symbol);
  if (t === undefined) {
    const inst = ctx.instruments.get(symbol);
    if (!inst) throw new Error(`unknown instrument ${symbol}`);
    const q = ctx.quotes.get(symbol);
    t = {
      instrument: {
        qtyStep: fx(inst.qtyStep),
        minQty: fx(inst.minQty),
        minNotional: fx(inst.minNotional),
        multiplier: fx(inst.multiplier),
        commissionPerUnit: fx(inst.commissionPerUnit),
      },
      quote: q ? { bid: fx(q.bid), ask: fx(q.ask) } : null,
    };
    bySymbol.set(symbol, t);
  }
  return t;
}

/**
 * Plans one copy and symbol from the context, and takes the funds the order will use from
 * the account's pool, so the next copy on the same account sees what is left. The fan-out
 * passes the leader's move and price as Fixed, parsed once for its batch.
 */
export function planFor(
  ctx: PlanContext,
  rel: Rel,
  symbol: string,
  leader: LeaderMove<Num>,
  leaderPrice: Num,
  leaderCopyable: boolean,
): Plan {
  const terms = termsFor(ctx, symbol);
  const k = key(rel.id, symbol);
  const held = ctx.copyPositions.get(rel.id);
  let position: Fixed = FX_ZERO;
  let openPositions = 0;
  if (held)
    for (const p of held) {
      const q = fx(p.qty);
      if (q.n !== 0n) openPositions++;
      if (p.symbol === symbol) position = q;
    }
  let quote = terms.quote;
  if (quote === null) {
    const price = toFx(leaderPrice);
    quote = { bid: price, ask: price };
  }
  const plan = planCopyOrder({
    sizing: {
      mode: rel.sizingMode,
      ratio: rel.ratio,
      notional: rel.notional,
      symbolRatio: ctx.fixedRatios.get(k) ?? null,
    },
    leader,
    leaderPrice,
    copy: {
      status: rel.status,
      position,
      openQty: ctx.openQty.get(k) ?? FX_ZERO,
      openPositions,
    },
    instrument: terms.instrument,
    quote,
    funds: ctx.funds.get(rel.brokerAccountId) ?? FX_ZERO,
    limits: {
      maxSymbolExposure: rel.maxSymbolExposure,
      maxOpenPositions: rel.maxOpenPositions,
      maxSlippageBps: rel.maxSlippageBps,
      dailyLossLimit: rel.dailyLossLimit,
    },
    leaderCopyable,
    breakerOpen: ctx.breakers.length
      ? breakerFor(ctx, rel.leaderId, rel.broker, rel.brokerAccountId, symbol)
      : null,
    // Only copies whose follower chose to pause increases while the leader is flagged.
    leaderStrategyChange:
      rel.onLeaderFlag === "pause_increases" ? (ctx.leaderFlags.get(rel.leaderId) ?? null) : null,
    dailyLoss: rel.dailyLossLimit !== null ? (ctx.dailyLoss.get(rel.id) ?? FX_ZERO) : null,
    onInsufficientFunds: rel.onInsufficientFunds,
  });
  const { fundsUsed, orderQty, ratio } = plan.fx;
  if (fundsUsed.n !== 0n)
    ctx.funds.set(
      rel.brokerAccountId,
      fxMinus(ctx.funds.get(rel.brokerAccountId) ?? FX_ZERO, fundsUsed),
    );
  if (orderQty.n !== 0n) ctx.openQty.set(k, fxPlus(ctx.openQty.get(k) ?? FX_ZERO, orderQty));
  if (plan.ratioChange.kind === "set") ctx.fixedRatios.set(k, ratio);
  if (plan.ratioChange.kind === "clear") ctx.fixedRatios.delete(k);
  return plan;
}

/**
 * The market order a plan places for a copy (copy orders are market orders, replay-format.md),
 * ready to insert as `pending_submit` (or claimed, when the fan-out hands its orders to the
 * pass's submission); the worker's submission loop sends it.
 */
export function copyOrderRow(
  rel: Rel,
  symbol: string,
  plan: Plan,
  o: {
    clientOrderId: string;
    origin: "copy" | "reconcile";
    correlationId: string;
    now: Date;
    leaderFillId?: string;
    leaderEventSeq?: number;
  },
): typeof orders.$inferInsert {
  return {
    clientOrderId: o.clientOrderId,
    brokerAccountId: rel.brokerAccountId,
    relationshipId: rel.id,
    symbol,
    side: plan.fx.orderQty.n > 0n ? "buy" : "sell",
    type: "market",
    qty: fxText(fxAbs(plan.fx.orderQty)),
    status: "pending_submit",
    origin: o.origin,
    leaderFillId: o.leaderFillId ?? null,
    leaderEventSeq: o.leaderEventSeq ?? null,
    correlationId: o.correlationId,
    createdAt: o.now,
    updatedAt: o.now,
  };
}
