import { D, ZERO, type Decimal } from "./money";
import { decide, type CopyStatus, type Decision, type RiskCheck, type Reason } from "./risk";
import {
  fixedNotionalRatio,
  orderDelta,
  splitFlip,
  splitReduceIncrease,
  targetPosition,
  type SizingMode,
} from "./sizing";

/*
 * The copy planner: the one place where a copy's order is worked out (DESIGN.md, "One rule,
 * one place"). The fan-out, reconciliation, the copy page's targets, the replay report and
 * the copy flow's worked example all call `planCopyOrder` (or `sizingTarget` for a target
 * alone), so that the same state always gives the same order, whoever asks.
 */

export type PlanInstrument = {
  qtyStep: Decimal.Value;
  minQty: Decimal.Value;
  minNotional: Decimal.Value;
  multiplier: Decimal.Value;
  commissionPerUnit: Decimal.Value;
};

export type PlanLimits = {
  maxSymbolExposure?: Decimal.Value | null;
  maxOpenPositions?: number | null;
  maxSlippageBps?: Decimal.Value | null;
  dailyLossLimit?: Decimal.Value | null;
};

export type PlanSizing = {
  mode: SizingMode;
  /** The relationship's r (proportional: allocation / leader equity; multiplier: factor). */
  ratio: Decimal.Value | null;
  /** fixed_notional: the notional per opening, and the ratio held for this symbol, if any. */
  notional?: Decimal.Value | null;
  symbolRatio?: Decimal.Value | null;
};

export type PlanInput = {
  sizing: PlanSizing;
  /**
   * The leader's position in the symbol before and after the event being copied. For
   * reconciliation there is no new fill: before = after = the leader's position now.
   */
  leader: { positionBefore: Decimal.Value; positionAfter: Decimal.Value };
  /**
   * The price the slippage limit compares against: the leader's fill price, or for
   * reconciliation the leader's last fill price in the symbol.
   */
  leaderPrice: Decimal.Value;
  copy: {
    status: CopyStatus;
    /** Signed position the copy holds in the symbol. */
    position: Decimal.Value;
    /** Signed quantity still on its way in working orders of this copy and symbol. */
    openQty: Decimal.Value;
    /** Symbols (this one included) where the copy holds a non-zero position. */
    openPositions: number;
  };
  instrument: PlanInstrument;
  quote: { bid: Decimal.Value; ask: Decimal.Value };
  /** Funds this copy may spend on increases now (see `availableFunds`), shared per account. */
  funds: Decimal.Value;
  limits: PlanLimits;
  leaderCopyable: boolean;
  breakerOpen: string | null;
  /** The leader's open strategy-change flag, when this copy chose to pause increases for it. */
  leaderStrategyChange?: string | null;
  /** Today's loss so far (positive is a loss), or null when the copy has no daily limit. */
  dailyLoss: Decimal.Value | null;
  onInsufficientFunds: "reduce" | "skip";
};

export type RatioChange = { kind: "keep" } | { kind: "set"; ratio: Decimal } | { kind: "clear" };

export type Plan = {
  /** What happens to the per-symbol ratio (fixed_notional only; others always keep). */
  ratioChange: RatioChange;
  /** The ratio the target used. */
  ratio: Decimal;
  /** quantize(r × leader position): the sizing target before any risk limit. */
  target: Decimal;
  /** target − (position + open quantity): what was asked of the risk checks. */
  delta: Decimal;
  action: Decision["action"];
  /** Signed; zero when skipped or none. */
  orderQty: Decimal;
  reason: Reason;
  checks: RiskCheck[];
  /** Funds the increase part of the order will use: deduct it from the account's pool. */
  fundsUsed: Decimal;
};

/**
 * The ratio a target uses for one symbol. `fixed_notional` takes a new ratio whenever the
 * leader opens from flat (or the far side of a flip), from that opening's quantity and
 * price; a copy that joined mid-position takes it from the whole position; it is cleared
 * when the leader is flat.
 */
export function planRatio(
  sizing: PlanSizing,
  leader: { positionBefore: Decimal.Value; positionAfter: Decimal.Value },
  price: Decimal.Value,
  multiplier: Decimal.Value,
): { ratio: Decimal; change: RatioChange } {
  if (sizing.mode !== "fixed_notional") return { ratio: D(sizing.ratio ?? 0), change: KEEP };
  const after = D(leader.positionAfter);
  const held = sizing.symbolRatio === null || sizing.symbolRatio === undefined;
  if (after.isZero()) return { ratio: ZERO, change: held ? KEEP : { kind: "clear" } };
  const flip = splitFlip(leader.positionBefore, after.minus(leader.positionBefore));
  if (flip.opensFromFlat || held) {
    const basis = flip.opensFromFlat ? flip.openQty : after;
    const ratio = fixedNotionalRatio(sizing.notional ?? "0", basis, price, multiplier);
    return { ratio, change: { kind: "set", ratio } };
  }
  return { ratio: D(sizing.symbolRatio!), change: KEEP };
}
const KEEP: RatioChange = { kind: "keep" };

/** The sizing target alone, for pages and reports: quantize(r × leader position). */
export function sizingTarget(input: {
  ratio: Decimal.Value;
  leaderPosition: Decimal.Value;
  qtyStep: Decimal.Value;
}): Decimal {
  return targetPosition(input);
}

/**
 * Plans one copy's order for one symbol. The order is worked out against the copy's
 * effective position — what it holds plus what its working orders will add — so a pending
 * close counts as closed: a flip is a reduction to zero (always allowed) followed by an
 * increase, and every increase check (pause, breaker, daily loss, slippage, open
 * positions, exposure, funds) applies to the increase part alone.
 */
export function planCopyOrder(input: PlanInput): Plan {
  const { ratio, change } = planRatio(
    input.sizing,
    input.leader,
    input.leaderPrice,
    input.instrument.multiplier,
  );
  const target = targetPosition({
    ratio,
    leaderPosition: input.leader.positionAfter,
    qtyStep: input.instrument.qtyStep,
  });
  const effective = D(input.copy.position).plus(input.copy.openQty);
  const delta = orderDelta({
    target,
    position: input.copy.position,
    openOrderQty: input.copy.openQty,
  });
  const held = D(input.copy.position);
  // Counted against the effective position: a symbol being closed by a working order no
  // longer counts, one being opened by one already does.
  const openPositions =
    input.copy.openPositions - (held.isZero() ? 0 : 1) + (effective.isZero() ? 0 : 1);
  const d = decide({
    status: input.copy.status,
    leaderCopyable: input.leaderCopyable,
    breakerOpen: input.breakerOpen,
    leaderStrategyChange: input.leaderStrategyChange ?? null,
    position: effective,
    delta,
    fillPrice: delta.isNeg() ? input.quote.bid : input.quote.ask,
    leaderPrice: input.leaderPrice,
    multiplier: input.instrument.multiplier,
    qtyStep: input.instrument.qtyStep,
    minQty: input.instrument.minQty,
    minNotional: input.instrument.minNotional,
    commissionPerUnit: input.instrument.commissionPerUnit,
    availableCash: input.funds,
    openPositions,
    maxSymbolExposure: input.limits.maxSymbolExposure,
    maxOpenPositions: input.limits.maxOpenPositions,
    maxSlippageBps: input.limits.maxSlippageBps,
    dailyLossLimit: input.limits.dailyLossLimit,
    dailyLoss: input.dailyLoss,
    onInsufficientFunds: input.onInsufficientFunds,
  });
  const { increase } = splitReduceIncrease(effective, d.orderQty);
  const price = d.orderQty.isNeg() ? D(input.quote.bid) : D(input.quote.ask);
  const fundsUsed = increase
    .abs()
    .times(price.times(input.instrument.multiplier).plus(input.instrument.commissionPerUnit));
  return {
    ratioChange: change,
    ratio,
    target,
    delta,
    action: d.action,
    orderQty: d.orderQty,
    reason: d.reason,
    checks: d.checks,
    fundsUsed,
  };
}

export type WorkingOrder = {
  symbol: string;
  side: "buy" | "sell";
  /** Quantity not yet filled. */
  remaining: Decimal.Value;
  limitPrice?: Decimal.Value | null;
};

/**
 * Funds an account can spend on new exposure: its cash less what its working orders will
 * take when they fill — the part of each that opens or grows a position, at the price it
 * would fill at (its limit, else ask for a buy and bid for a sell) plus commission. Shared
 * by every copy on the account and by its manual orders, so two copies cannot both spend
 * the same cash and the broker is never asked for what our own rule should have reduced.
 */
export function availableFunds(input: {
  cash: Decimal.Value;
  positions: ReadonlyMap<string, Decimal.Value>;
  workingOrders: readonly WorkingOrder[];
  quotes: ReadonlyMap<string, { bid: Decimal.Value; ask: Decimal.Value }>;
  instruments: ReadonlyMap<string, { multiplier: Decimal.Value; commissionPerUnit: Decimal.Value }>;
}): Decimal {
  const projected = new Map<string, Decimal>();
  for (const [s, q] of input.positions) projected.set(s, D(q));
  let reserved = ZERO;
  for (const o of input.workingOrders) {
    const pos = projected.get(o.symbol) ?? ZERO;
    const signed = o.side === "buy" ? D(o.remaining) : D(o.remaining).neg();
    const { increase } = splitReduceIncrease(pos, signed);
    projected.set(o.symbol, pos.plus(signed));
    if (increase.isZero()) continue;
    const q = input.quotes.get(o.symbol);
    const inst = input.instruments.get(o.symbol);
    const price =
      o.limitPrice !== null && o.limitPrice !== undefined
        ? D(o.limitPrice)
        : D((o.side === "buy" ? q?.ask : q?.bid) ?? 0);
    reserved = reserved.plus(
      increase.abs().times(price.times(inst?.multiplier ?? 1).plus(inst?.commissionPerUnit ?? 0)),
    );
  }
  return D(input.cash).minus(reserved);
}
