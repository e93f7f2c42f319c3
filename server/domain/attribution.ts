import { D, Decimal, ZERO, fmt } from "./money";
import { planRatio } from "./planner";
import { proportionalRatio } from "./sizing";
import { copyPnl, markPrice, type HeldPosition, type Quote } from "./valuation";

/*
 * "Why my numbers differ" (docs/adr/0065-why-numbers-differ.md). The gap between the
 * leader's return on the copy's capital and the copy's own P&L is split into parts that
 * add up to it exactly, because each part is the difference between two consecutive
 * steps of one chain of money amounts, each step changing one thing:
 *
 *   X0  the leader's return over the copy's life × your capital
 *   X1  the leader's trades at the ratio your copy used, unrounded       ratio & idle cash = X0 − X1
 *   X2  the sizing targets (quantized) at the leader's prices            rounding          = X1 − X2
 *   X3  what your orders really filled, at the leader's prices           skipped/reduced   = X2 − X3 (by reason)
 *   X4  the same at your own fill prices                                 execution price   = X3 − X4
 *   X5  minus your commissions instead of the leader's (at your ratio)   commissions       = X4 − X5
 *   X6  minus the fees charged to the copy                               fees              = X5 − X6
 *
 * Every step values what is held at the end at one exit price per symbol (valuation.ts's
 * markPrice), so a step changes only what it names. X6 is the copy's P&L by trades; the copy's
 * P&L by its books (valuation.ts's copyPnl, minus fees) equals it, except for the rounding of
 * the stored average cost, which is reported as its own part when it is not zero.
 */

export type AttributionPartKey =
  | "ratio"
  | "rounding"
  | "skipped"
  | "catch_up"
  | "execution"
  | "commissions"
  | "fees"
  | "book_rounding";

export type AttributionPart = {
  key: AttributionPartKey;
  /** For `skipped`: the decision reason (PAUSED, INSUFFICIENT_FUNDS, …). */
  reason?: string;
  /** Money in the copy's currency: what this part took from (+) or gave to (−) the copy. */
  amount: Decimal;
};

export type AttributionInput = {
  /** The copy's capital: its reference capital (allocation, else cash at start). */
  capital: Decimal.Value;
  /** Leader equity the copy started from (the one its ratio was fixed on). */
  leaderStartEquity: Decimal.Value;
  sizing: {
    mode: "proportional" | "multiplier" | "fixed_notional";
    /** The ratio fixed when the copy started (proportional, multiplier). */
    startRatio: Decimal.Value | null;
    allocation: Decimal.Value | null;
    notional: Decimal.Value | null;
  };
  multipliers: ReadonlyMap<string, Decimal.Value>;
  quotes: ReadonlyMap<string, Quote>;
  /** The leader's stream since the copy started, in stream order; fills and cash. */
  leaderEvents: ReadonlyArray<
    | {
        type: "fill";
        fillId: string;
        symbol: string;
        /** Signed: + buy, − sell. */
        qty: Decimal.Value;
        price: Decimal.Value;
        commission: Decimal.Value;
        positionBefore: Decimal.Value;
        positionAfter: Decimal.Value;
        at: Date;
      }
    | { type: "cash"; equityAfter: Decimal.Value; at: Date }
  >;
  /** Allocation changes of the copy (they re-fix a proportional ratio), in time order. */
  allocationChanges: ReadonlyArray<{
    at: Date;
    allocation: Decimal.Value;
    ratio: Decimal.Value | null;
  }>;
  decisions: ReadonlyArray<{
    leaderFillId: string | null;
    symbol: string;
    target: Decimal.Value;
    reason: string;
    clientOrderId: string | null;
  }>;
  orders: ReadonlyArray<{ clientOrderId: string; origin: string; leaderFillId: string | null }>;
  /** The copy's fills, signed (+ buy), with the commission each paid. */
  fills: ReadonlyArray<{
    clientOrderId: string;
    symbol: string;
    qty: Decimal.Value;
    price: Decimal.Value;
    commission: Decimal.Value;
  }>;
  /** Every fee charged to the copy (platform, management, performance). */
  feesCharged: ReadonlyArray<{ amount: Decimal.Value }>;
  /** The copy's positions as booked, for valuation.ts's copyPnl. */
  positions: readonly HeldPosition[];
};

export type Attribution = {
  capital: Decimal;
  /** X0: the leader's return over the copy's life, on your capital. */
  leaderPnl: Decimal;
  /** The copy's P&L after commissions and fees, by its books. */
  copyPnl: Decimal;
  /** leaderPnl − copyPnl = Σ parts, exactly. */
  difference: Decimal;
  parts: AttributionPart[];
};

/** Money below this is noise of the leader-return division; X0 is defined to 12 decimals. */
const X0_DP = 12;
/** The unrounded target r × leader position, to this many decimals (far below any step). */
const U_DP = 20;

export function attributeDifference(input: AttributionInput): Attribution {
  const capital = D(input.capital);
  const mult = (s: string) => D(input.multipliers.get(s) ?? 1);

  // Final holdings, to choose each symbol's one exit price.
  const copyHeld = new Map<string, Decimal>();
  for (const f of input.fills) copyHeld.set(f.symbol, (copyHeld.get(f.symbol) ?? ZERO).plus(f.qty));
  const leaderHeld = new Map<string, Decimal>();
  const lastPrice = new Map<string, Decimal>();
  for (const e of input.leaderEvents) {
    if (e.type !== "fill") continue;
    if (!leaderHeld.has(e.symbol)) leaderHeld.set(e.symbol, D(e.positionBefore));
    leaderHeld.set(e.symbol, D(e.positionAfter));
    lastPrice.set(e.symbol, D(e.price));
  }
  for (const f of input.fills) lastPrice.set(f.symbol, D(f.price));
  const marks = new Map<string, Decimal>();
  const mark = (s: string): Decimal => {
    let m = marks.get(s);
    if (!m) {
      const c = copyHeld.get(s) ?? ZERO;
      const side = !c.isZero() ? c : (leaderHeld.get(s) ?? D(1));
      m = markPrice(side.isZero() ? 1 : side, input.quotes.get(s), "exit", lastPrice.get(s) ?? 0);
      marks.set(s, m);
    }
    return m;
  };
  /** What qty bought at `price` is worth at the end: qty × (mark − price) × multiplier. */
  const gain = (s: string, qty: Decimal.Value, price: Decimal.Value) =>
    D(qty).times(mark(s).minus(price)).times(mult(s));

  // The ratio the engine used at each leader fill, rebuilt with the planner's own rules.
  const ratioAt = new Map<string, Decimal>();
  {
    let ratio = D(input.sizing.startRatio ?? 0);
    let allocation = input.sizing.allocation === null ? null : D(input.sizing.allocation);
    const symbolRatio = new Map<string, Decimal | null>();
    const changes = [...input.allocationChanges];
    for (const e of input.leaderEvents) {
      while (changes.length && changes[0]!.at <= e.at) {
        const c = changes.shift()!;
        allocation = D(c.allocation);
        if (c.ratio !== null) ratio = D(c.ratio);
      }
      if (e.type === "cash") {
        if (input.sizing.mode === "proportional" && allocation !== null)
          ratio = proportionalRatio(allocation, e.equityAfter);
        continue;
      }
      if (input.sizing.mode !== "fixed_notional") {
        ratioAt.set(e.fillId, ratio);
        continue;
      }
      const planned = planRatio(
        {
          mode: "fixed_notional",
          ratio: null,
          notional: input.sizing.notional,
          symbolRatio: symbolRatio.get(e.symbol) ?? null,
        },
        { positionBefore: e.positionBefore, positionAfter: e.positionAfter },
        e.price,
        mult(e.symbol),
      );
      ratioAt.set(e.fillId, planned.ratio);
      if (planned.change.kind === "set") symbolRatio.set(e.symbol, planned.change.ratio);
      if (planned.change.kind === "clear") symbolRatio.set(e.symbol, null);
    }
  }

  const decisionByFill = new Map<string, AttributionInput["decisions"][number]>();
  for (const d of input.decisions) if (d.leaderFillId) decisionByFill.set(d.leaderFillId, d);
  const orderById = new Map(input.orders.map((o) => [o.clientOrderId, o]));
  const closeReason = new Map<string, string>();
  for (const d of input.decisions)
    if (!d.leaderFillId && d.clientOrderId) closeReason.set(d.clientOrderId, d.reason);
  const leaderPriceOf = new Map<string, Decimal>();

  // X0: the leader's P&L from its trades since you started, as a return on its equity then.
  let leaderTrades = ZERO;
  let x1 = ZERO;
  let x2 = ZERO;
  let scaledLeaderCommissions = ZERO;
  const skipped = new Map<string, Decimal>();
  const addSkipped = (reason: string, amount: Decimal) =>
    skipped.set(reason, (skipped.get(reason) ?? ZERO).plus(amount));
  let catchUp = ZERO;
  const unrounded = new Map<string, Decimal>();
  const target = new Map<string, Decimal>();
  const filledFor = new Map<string, Decimal>();
  for (const f of input.fills) {
    const o = orderById.get(f.clientOrderId);
    if (o?.origin === "copy" && o.leaderFillId)
      filledFor.set(o.leaderFillId, (filledFor.get(o.leaderFillId) ?? ZERO).plus(f.qty));
  }
  for (const e of input.leaderEvents) {
    if (e.type !== "fill") continue;
    const r = ratioAt.get(e.fillId)!;
    leaderPriceOf.set(e.fillId, D(e.price));
    leaderTrades = leaderTrades.plus(gain(e.symbol, e.qty, e.price)).minus(e.commission);
    scaledLeaderCommissions = scaledLeaderCommissions.plus(r.times(e.commission));
    const uBefore = unrounded.get(e.symbol) ?? ZERO;
    // To 20 decimals, so every later sum is exact at our 50-digit precision.
    const u = r.times(e.positionAfter).toDecimalPlaces(U_DP, Decimal.ROUND_DOWN);
    unrounded.set(e.symbol, u);
    x1 = x1.plus(gain(e.symbol, u.minus(uBefore), e.price));
    const d = decisionByFill.get(e.fillId);
    const tBefore = target.get(e.symbol) ?? ZERO;
    // A fill the copy has not yet decided on is wanted in full: it waits, unrounded.
    const t = d ? D(d.target) : u;
    target.set(e.symbol, t);
    const wanted = t.minus(tBefore);
    x2 = x2.plus(gain(e.symbol, wanted, e.price));
    const gap = gain(e.symbol, wanted.minus(filledFor.get(e.fillId) ?? ZERO), e.price);
    if (!d) addSkipped("PENDING", gap);
    else if (d.reason === "OK") catchUp = catchUp.plus(gap);
    else addSkipped(d.reason, gap);
  }
  const leaderPnl = leaderTrades
    .times(capital)
    .div(input.leaderStartEquity)
    .toDecimalPlaces(X0_DP, Decimal.ROUND_HALF_EVEN);
  x1 = x1.minus(scaledLeaderCommissions);
  x2 = x2.minus(scaledLeaderCommissions);

  // X3 and X4: the fills themselves, at the leader's price (X3) and at their own (X4).
  let x4trades = ZERO;
  let commissions = ZERO;
  let x3trades = ZERO;
  for (const f of input.fills) {
    const o = orderById.get(f.clientOrderId);
    const leaderPrice =
      o?.origin === "copy" && o.leaderFillId ? leaderPriceOf.get(o.leaderFillId) : undefined;
    x3trades = x3trades.plus(gain(f.symbol, f.qty, leaderPrice ?? f.price));
    x4trades = x4trades.plus(gain(f.symbol, f.qty, f.price));
    commissions = commissions.plus(f.commission);
    if (leaderPrice === undefined) {
      // Orders no leader fill caused (a stop's closes, reconciliation's repairs, an order
      // for a fill from before this copy's window) move the copy off the targets above.
      const g = gain(f.symbol, f.qty, f.price).neg();
      const reason = closeReason.get(f.clientOrderId);
      if (reason) addSkipped(reason, g);
      else catchUp = catchUp.plus(g);
    }
  }
  const x3 = x3trades.minus(scaledLeaderCommissions);
  const x4 = x4trades.minus(scaledLeaderCommissions);
  const x5 = x4trades.minus(commissions);
  const fees = input.feesCharged.reduce((s, f) => s.plus(f.amount), ZERO);
  const x6 = x5.minus(fees);
  // The books' average costs may carry 50 digits; 20 decimals keep the sums exact.
  const booked = copyPnl(input.positions, input.quotes, input.multipliers, lastPrice)
    .minus(fees)
    .toDecimalPlaces(U_DP, Decimal.ROUND_HALF_EVEN);

  const parts: AttributionPart[] = [
    { key: "ratio", amount: leaderPnl.minus(x1) },
    { key: "rounding", amount: x1.minus(x2) },
  ];
  // x2 − x3 is, by construction, the sum of the per-reason gaps and the catch-up.
  for (const [reason, amount] of [...skipped].sort(([a], [b]) => (a < b ? -1 : 1)))
    if (!amount.isZero()) parts.push({ key: "skipped", reason, amount });
  parts.push({ key: "catch_up", amount: catchUp });
  parts.push({ key: "execution", amount: x3.minus(x4) });
  parts.push({ key: "commissions", amount: x4.minus(x5) });
  parts.push({ key: "fees", amount: x5.minus(x6) });
  if (!x6.minus(booked).isZero()) parts.push({ key: "book_rounding", amount: x6.minus(booked) });

  return { capital, leaderPnl, copyPnl: booked, difference: leaderPnl.minus(booked), parts };
}

/**
 * Rounds parts for display so the rounded parts still add up to the rounded total
 * (largest remainder): what the page shows adds up to what it says, to the last digit.
 */
export function roundParts(amounts: readonly Decimal[], total: Decimal, dp: number): string[] {
  const rounded = amounts.map((a) => a.toDecimalPlaces(dp, Decimal.ROUND_DOWN));
  const unit = D(1).div(D(10).pow(dp));
  let left = total
    .toDecimalPlaces(dp, Decimal.ROUND_HALF_EVEN)
    .minus(rounded.reduce((s, a) => s.plus(a), ZERO));
  const step = left.isNeg() ? unit.neg() : unit;
  // Units go to the parts whose remainder leans the same way, largest first, and never to a
  // part that is exactly zero (the page hides those, so its sum would not match).
  const order = amounts
    .map((a, i) => ({ i, rem: a.minus(rounded[i]!).times(step.isNeg() ? -1 : 1) }))
    .filter(({ i }) => !amounts[i]!.isZero())
    .sort((x, y) => y.rem.cmp(x.rem));
  for (let k = 0; !left.isZero() && order.length; k = (k + 1) % order.length) {
    const { i } = order[k]!;
    rounded[i] = rounded[i]!.plus(step);
    left = left.minus(step);
  }
  return rounded.map((r) => fmt(r.toFixed(dp)));
}

export type WhyDifferent = {
  currency: string;
  capital: string;
  leaderPnl: string;
  copyPnl: string;
  difference: string;
  leaderReturnPct: string;
  copyReturnPct: string;
  differencePct: string;
  /** Exact parts, and the same rounded to cents and to 0.01 % points (they still add up). */
  parts: Array<{ key: string; reason: string | null; amount: string; cents: string; pct: string }>;
};

/** The attribution as the page shows it: exact strings, cents and % points that add up. */
export function presentAttribution(a: Attribution, currency: string): WhyDifferent {
  const pct = (x: ReturnType<typeof D>) =>
    a.capital.isZero() ? D(0) : x.div(a.capital).times(100);
  const amounts = a.parts.map((p) => p.amount);
  const cents = roundParts(amounts, a.difference, 2);
  const points = roundParts(amounts.map(pct), pct(a.difference), 2);
  return {
    currency,
    capital: fmt(a.capital),
    leaderPnl: fmt(a.leaderPnl),
    copyPnl: fmt(a.copyPnl),
    difference: fmt(a.difference),
    leaderReturnPct: fmt(pct(a.leaderPnl).toDecimalPlaces(2)),
    copyReturnPct: fmt(pct(a.copyPnl).toDecimalPlaces(2)),
    differencePct: fmt(pct(a.difference).toDecimalPlaces(2)),
    parts: a.parts.map((p, i) => ({
      key: p.key,
      reason: p.reason ?? null,
      amount: fmt(p.amount),
      cents: cents[i]!,
      pct: points[i]!,
    })),
  };
}
