import {
  FX_ZERO,
  fx,
  fxAbs,
  fxIsZero,
  fxMinus,
  fxNeg,
  fxPlus,
  fxText,
  fxTimes,
  type Fixed,
} from "./fixed";
import { DomainError, fmt } from "./money";
import { feesReceivable, platformFee } from "./fees";
import { fxApplyFill, fxApplyFillToPosition, transition, type OrderState } from "./order-state";

/*
 * The bookkeeping core: from a set of broker fills and the rows they touch, the rows they
 * produce — order states and average prices, account positions, the copy's share of them,
 * cash, a balanced journal per fill and one `order_fill` event per correlation id (per fill when there is none). Pure: the single-fill path and
 * the batch path are loaders and writers around this one function, so they cannot diverge.
 * On scaled integers (fixed.ts), not decimal.js objects: the same numbers, at a fraction of
 * the allocations per fill (ADR 0041, session 11).
 */

export const cashAccount = (brokerAccountId: string) => `account:${brokerAccountId}:cash`;

/**
 * Who pays a fee, by where the account is (ADR 0060): at the paper broker the fee comes out of
 * the account's cash (the worker then moves that cash at the broker); at an external broker
 * Tandem cannot take cash, so the fee is owed: posted against the account's fees receivable,
 * its cash on our books untouched (it must keep matching the broker's).
 */
export function feePayer(brokerAccountId: string, broker: string) {
  const takesCash = broker === "paper";
  return {
    takesCash,
    code: takesCash ? cashAccount(brokerAccountId) : feesReceivable(brokerAccountId),
  };
}
export const brokerSettlement = (broker: string) => `broker:${broker}:settlement`;
export const brokerCommissions = (broker: string) => `broker:${broker}:commissions`;
export const externalFunding = (broker: string) => `external:${broker}:funding`;
export const platformRevenue = () => "platform:fees";
export const leaderFeesPayable = (leaderId: string) => `leader:${leaderId}:fees`;
/**
 * The stream of a correlation's fills: the `order_fill` events of one leader fill's
 * followers, one event per booking batch (ADR 0041), not one per fill on each account.
 */
export const fillsStream = (correlationId: string) => `fills:${correlationId}`;
/** One booked fill inside a batched `order_fill` event's `fills` list. */
export type FillEntry = [
  brokerAccountId: string,
  clientOrderId: string,
  tradeId: string,
  qty: string,
  price: string,
  fee: string,
  status: string,
];

export type BookOrder = {
  id: string;
  brokerAccountId: string;
  clientOrderId: string;
  relationshipId: string | null;
  symbol: string;
  side: "buy" | "sell";
  qty: string;
  filledQty: string;
  avgPrice: string | null;
  status: string;
  correlationId: string | null;
};
export type BookPosition = { qty: string; avgCost: string; realizedPnl: string };
export type BookCopyPosition = BookPosition & { fees: string };

export type BookFill = {
  brokerAccountId: string;
  clientOrderId: string;
  tradeId: string;
  qty: string;
  price: string;
  commission: string;
  at: Date;
};

export type JournalLine = { code: string; amount: string; owner: string | null };
export type Journal = {
  kind: string;
  description: string;
  correlationId: string | null;
  orderId: string | null;
  relationshipId: string | null;
  at: Date;
  currency: string;
  lines: JournalLine[];
};

export type BookEvent = {
  stream: string;
  type: string;
  payload: Record<string, unknown>;
  at: Date;
  correlationId: string | null;
};

export type BookState = {
  /** By `brokerAccountId|clientOrderId`. */
  orders: Map<string, BookOrder>;
  /** By `brokerAccountId|symbol`. */
  positions: Map<string, BookPosition>;
  /** By `relationshipId|symbol`. */
  copyPositions: Map<string, BookCopyPosition>;
  /** By broker account id; cash as a scaled integer (fixed.ts). */
  balances: Map<string, { cash: Fixed; currency: string }>;
  instruments: Map<string, { multiplier: string; currency: string }>;
  accounts: Map<string, { broker: string; userId: string | null }>;
  /** The platform fee rate of each copy that has one (bps of each fill's notional). */
  platformFeeBps?: Map<string, string>;
};

export type ChargedFee = {
  relationshipId: string;
  kind: "platform" | "management" | "performance";
  at: Date;
  amount: string;
  period: string | null;
  base: string;
  rate: string;
  fillTradeId: string | null;
};

export type BookResult = {
  orders: BookOrder[];
  positions: Array<{ brokerAccountId: string; symbol: string } & BookPosition>;
  copyPositions: Array<{ relationshipId: string; symbol: string } & BookCopyPosition>;
  balances: Array<{ brokerAccountId: string; currency: string; cash: string }>;
  journals: Journal[];
  events: BookEvent[];
  /** Platform fees charged with these fills (already in balances and journals). */
  fees: ChargedFee[];
  /** The fills booked (after dropping those with unknown orders or repeated trade ids). */
  booked: number;
};

const k = (a: string, b: string) => `${a}|${b}`;

/** A position row (or none: flat) as the position rules take it. */
function held(p: BookPosition | undefined) {
  return p
    ? { qty: fx(p.qty), avgCost: fx(p.avgCost), realizedPnl: fx(p.realizedPnl) }
    : { qty: FX_ZERO, avgCost: FX_ZERO, realizedPnl: FX_ZERO };
}

/** Every journal sums to zero per currency (DESIGN.md, "Database"): a bug, never data. */
export function assertBalanced(j: { kind: string; currency: string; lines: { amount: string }[] }) {
  let total = FX_ZERO;
  for (const l of j.lines) total = fxPlus(total, fx(l.amount));
  if (!fxIsZero(total))
    throw new DomainError(
      "UNBALANCED_JOURNAL",
      `unbalanced journal ${j.kind}: postings sum to ${fxText(total)} ${j.currency}`,
    );
}

/**
 * A fill is a fact the broker reports: it is booked whatever state we thought the order was
 * in (a late fill after a cancel, a fill on an order we still had as unknown). The state
 * follows the transition table where it has an entry and stays put otherwise.
 */
export function stateAfterFill(state: OrderState, complete: boolean): OrderState {
  const event = complete ? "fill" : "fill_partial";
  try {
    return transition(state, event);
  } catch {
    return complete ? "filled" : state;
  }
}

/**
 * Whether a fill report (or a booked fill row) is a charge: a commission the broker posted
 * after the order's fills, reported as a fill of quantity 0 (brokers/types.ts). The one
 * test for it; readers that list fills use it to show a charge as a commission.
 */
export function isCharge(fill: { qty: string }): boolean {
  return fxIsZero(fx(fill.qty));
}

/**
 * A charge (`isCharge`): a commission the broker posted after the order's fills. It moves the account's cash and the copy's fees, as a
 * fill's commission does, and never the order or a position; it has no platform fee (that
 * is charged on traded notional).
 */
function bookCharge(
  state: BookState,
  o: BookOrder,
  f: BookFill,
  commission: Fixed,
  out: {
    cposTouched: Map<string, [string, string]>;
    balTouched: Set<string>;
    journals: Journal[];
  },
) {
  if (fxIsZero(commission)) return;
  if (o.relationshipId) {
    const ck = k(o.relationshipId, o.symbol);
    const prev = state.copyPositions.get(ck);
    state.copyPositions.set(ck, {
      qty: prev?.qty ?? "0",
      avgCost: prev?.avgCost ?? "0",
      realizedPnl: prev?.realizedPnl ?? "0",
      fees: fxText(fxPlus(prev ? fx(prev.fees) : FX_ZERO, commission)),
    });
    if (!out.cposTouched.has(ck)) out.cposTouched.set(ck, [o.relationshipId, o.symbol]);
  }
  const currency = state.instruments.get(o.symbol)?.currency ?? "USD";
  const b = state.balances.get(o.brokerAccountId) ?? { cash: FX_ZERO, currency };
  b.cash = fxMinus(b.cash, commission);
  state.balances.set(o.brokerAccountId, b);
  out.balTouched.add(o.brokerAccountId);
  const acct = state.accounts.get(o.brokerAccountId);
  const journal: Journal = {
    kind: "commission",
    description: `broker commission on ${o.symbol} (${o.clientOrderId})`,
    correlationId: o.correlationId,
    orderId: o.id,
    relationshipId: o.relationshipId,
    at: f.at,
    currency,
    lines: commissionLines(
      o.brokerAccountId,
      acct?.broker ?? "paper",
      acct?.userId ?? null,
      commission,
    ),
  };
  assertBalanced(journal);
  out.journals.push(journal);
}

/** A commission's two postings: out of the account's cash, to the broker. */
function commissionLines(
  brokerAccountId: string,
  broker: string,
  owner: string | null,
  commission: Fixed,
): JournalLine[] {
  if (fxIsZero(commission)) return [];
  return [
    { code: cashAccount(brokerAccountId), amount: fxText(fxNeg(commission)), owner },
    { code: brokerCommissions(broker), amount: fxText(commission), owner: null },
  ];
}

/**
 * Books fills in the order given against `state` (which it updates). Fills whose order is
 * unknown, and repeats of a trade id already in this set, are left out; trade ids booked
 * before are the loader's to drop (it inserts fill rows first, once per trade id).
 */
export function bookFills(state: BookState, fills: readonly BookFill[]): BookResult {
  // Orders by object, not by id: an object's identity hash is cheaper than a string's.
  const touched = new Set<BookOrder>();
  // The parts of each touched key, kept so the result need not split the key again.
  const posTouched = new Map<string, [string, string]>();
  const cposTouched = new Map<string, [string, string]>();
  const balTouched = new Set<string>();
  const journals: Journal[] = [];
  const events: BookEvent[] = [];
  // Fills that share a correlation id (a leader fill's followers) share one event.
  const byCorrelation = new Map<string, BookEvent & { payload: { fills: FillEntry[] } }>();
  // The fill's event: one per correlation and batch, or one per fill without a correlation.
  const recordFill = (o: BookOrder, f: BookFill) => {
    if (o.correlationId) {
      // One event per correlation and batch, not one row plus one stream counter per fill:
      // at 10 000 followers that was 20 000 rows of the booking's writes (ADR 0041).
      let ev = byCorrelation.get(o.correlationId);
      if (!ev) {
        ev = {
          stream: fillsStream(o.correlationId),
          type: "order_fill",
          payload: { fills: [] },
          at: f.at,
          correlationId: o.correlationId,
        };
        byCorrelation.set(o.correlationId, ev);
        events.push(ev);
      }
      ev.payload.fills.push([
        o.brokerAccountId,
        o.clientOrderId,
        f.tradeId,
        f.qty,
        f.price,
        f.commission,
        o.status,
      ]);
    } else
      events.push({
        stream: `account:${o.brokerAccountId}`,
        type: "order_fill",
        payload: {
          clientOrderId: o.clientOrderId,
          tradeId: f.tradeId,
          qty: f.qty,
          price: f.price,
          fee: f.commission,
          status: o.status,
        },
        at: f.at,
        correlationId: o.correlationId,
      });
  };
  const fees: ChargedFee[] = [];
  const seen = new Set<string>();
  let booked = 0;
  for (const f of fills) {
    const o = state.orders.get(k(f.brokerAccountId, f.clientOrderId));
    const tradeKey = k(f.brokerAccountId, f.tradeId);
    if (!o || seen.has(tradeKey)) continue;
    seen.add(tradeKey);
    booked++;
    const fq = fx(f.qty);
    const price = fx(f.price);
    const commission = fx(f.commission);
    if (isCharge(f)) {
      bookCharge(state, o, f, commission, { cposTouched, balTouched, journals });
      recordFill(o, f);
      continue;
    }
    const acc = fxApplyFill(
      { qty: fx(o.qty), filledQty: fx(o.filledQty), avgPrice: o.avgPrice ? fx(o.avgPrice) : null },
      { qty: fq, price },
    );
    o.status = stateAfterFill(o.status as OrderState, acc.complete);
    o.filledQty = fxText(acc.filledQty);
    o.avgPrice = fxText(acc.avgPrice);
    touched.add(o);

    const inst = state.instruments.get(o.symbol);
    const multiplier = inst?.multiplier ?? "1";
    const mult = fx(multiplier);
    const currency = inst?.currency ?? "USD";
    const signed = o.side === "buy" ? fq : fxNeg(fq);
    const fill = { signedQty: signed, price, multiplier: mult };

    const pk = k(o.brokerAccountId, o.symbol);
    const p = fxApplyFillToPosition(held(state.positions.get(pk)), fill);
    state.positions.set(pk, {
      qty: fxText(p.qty),
      avgCost: fxText(p.avgCost),
      realizedPnl: fxText(p.realizedPnl),
    });
    if (!posTouched.has(pk)) posTouched.set(pk, [o.brokerAccountId, o.symbol]);
    if (o.relationshipId) {
      const ck = k(o.relationshipId, o.symbol);
      const prev = state.copyPositions.get(ck);
      const c = fxApplyFillToPosition(held(prev), fill);
      state.copyPositions.set(ck, {
        qty: fxText(c.qty),
        avgCost: fxText(c.avgCost),
        realizedPnl: fxText(c.realizedPnl),
        fees: fxText(fxPlus(prev ? fx(prev.fees) : FX_ZERO, commission)),
      });
      if (!cposTouched.has(ck)) cposTouched.set(ck, [o.relationshipId, o.symbol]);
    }

    const notional = fxTimes(fxTimes(signed, price), mult);
    const b = state.balances.get(o.brokerAccountId) ?? { cash: FX_ZERO, currency };
    b.cash = fxMinus(fxMinus(b.cash, notional), commission);
    state.balances.set(o.brokerAccountId, b);
    balTouched.add(o.brokerAccountId);

    const acct = state.accounts.get(o.brokerAccountId);
    const broker = acct?.broker ?? "paper";
    const owner = acct?.userId ?? null;
    const journal: Journal = {
      kind: "trade",
      description: `${o.side} ${f.qty} ${o.symbol} @ ${f.price} (${o.clientOrderId})`,
      correlationId: o.correlationId,
      orderId: o.id,
      relationshipId: o.relationshipId,
      at: f.at,
      currency,
      lines: [
        ...(fxIsZero(notional)
          ? []
          : [
              { code: cashAccount(o.brokerAccountId), amount: fxText(fxNeg(notional)), owner },
              { code: brokerSettlement(broker), amount: fxText(notional), owner: null },
            ]),
        ...commissionLines(o.brokerAccountId, broker, owner, commission),
      ],
    };
    assertBalanced(journal);
    journals.push(journal);

    // The platform fee is charged with every fill of a copy's order, at once.
    const bps = o.relationshipId ? state.platformFeeBps?.get(o.relationshipId) : undefined;
    if (o.relationshipId && bps !== undefined) {
      const fee = fx(platformFee({ qty: f.qty, price: f.price, multiplier, bps }));
      if (!fxIsZero(fee)) {
        const payer = feePayer(
          o.brokerAccountId,
          state.accounts.get(o.brokerAccountId)?.broker ?? "paper",
        );
        if (payer.takesCash) b.cash = fxMinus(b.cash, fee);
        const feeJournal: Journal = {
          kind: "fee",
          description: `platform fee ${fmt(bps)} bps on ${f.qty} ${o.symbol} @ ${f.price} (${o.clientOrderId})`,
          correlationId: o.correlationId,
          orderId: o.id,
          relationshipId: o.relationshipId,
          at: f.at,
          currency,
          lines: [
            { code: payer.code, amount: fxText(fxNeg(fee)), owner },
            { code: platformRevenue(), amount: fxText(fee), owner: null },
          ],
        };
        assertBalanced(feeJournal);
        journals.push(feeJournal);
        fees.push({
          relationshipId: o.relationshipId,
          kind: "platform",
          at: f.at,
          amount: fxText(fee),
          period: null,
          base: fxText(fxAbs(notional)),
          rate: fmt(bps),
          fillTradeId: f.tradeId,
        });
      }
    }
    recordFill(o, f);
  }
  const positions: BookResult["positions"] = [];
  for (const [pk, [brokerAccountId, symbol]] of posTouched) {
    const p = state.positions.get(pk)!;
    positions.push({
      brokerAccountId,
      symbol,
      qty: p.qty,
      avgCost: p.avgCost,
      realizedPnl: p.realizedPnl,
    });
  }
  const copyPositions: BookResult["copyPositions"] = [];
  for (const [ck, [relationshipId, symbol]] of cposTouched) {
    const p = state.copyPositions.get(ck)!;
    copyPositions.push({
      relationshipId,
      symbol,
      qty: p.qty,
      avgCost: p.avgCost,
      realizedPnl: p.realizedPnl,
      fees: p.fees,
    });
  }
  return {
    orders: [...touched],
    positions,
    copyPositions,
    balances: [...balTouched].map((a) => {
      const b = state.balances.get(a)!;
      return { brokerAccountId: a, currency: b.currency, cash: fxText(b.cash) };
    }),
    journals,
    events,
    fees,
    booked,
  };
}
