import {
  FX_ZERO,
  fx,
  fxAbs,
  fxDecimal,
  fxMinus,
  fxNeg,
  fxPlus,
  fxTimes,
  isFixed,
  toFx,
  type Fixed,
  type Num,
} from "./fixed";
import { type Decimal } from "./money";
import { fxDecide, type CopyStatus, type Decision, type RiskCheck, type Reason } from "./risk";
import {
  fixedNotionalRatio,
  fxOrderDelta,
  fxSplitFlip,
  fxSplitReduceIncrease,
  fxTargetPosition,
  targetPosition,
  type SizingMode,
} from "./sizing";

/*
 * The copy planner: the one place where a copy's order is worked out (DESIGN.md, "One rule,
 * one place"). The fan-out, reconciliation, the copy page's targets, the replay report and
 * the copy flow's worked example all call `planCopyOrder` (or `sizingTarget` for a target
 * alone), so that the same state always gives the same order, whoever asks.
 */

/*
 * Numbers come as decimals (`Decimal.Value`) from every caller but the fan-out, which parses
 * the inputs common to a batch (instrument, quote, leader move) once and passes them as Fixed
 * (`PlanInput<Num>`). The arithmetic is on exact scaled integers rounded as decimal.js rounds
 * (fixed.ts), so both give the same numbers: the rule is written once.
 */
export type PlanInstrument<V = Decimal.Value> = {
  qtyStep: V;
  minQty: V;
  minNotional: V;
  multiplier: V;
  commissionPerUnit: V;
};

export type PlanLimits<V = Decimal.Value> = {
  maxSymbolExposure?: V | null;
  maxOpenPositions?: number | null;
  maxSlippageBps?: V | null;
  dailyLossLimit?: V | null;
};

export type PlanSizing<V = Decimal.Value> = {
  mode: SizingMode;
  /** The relationship's r (proportional: allocation / leader equity; multiplier: factor). */
  ratio: V | null;
  /** fixed_notional: the notional per opening, and the ratio held for this symbol, if any. */
  notional?: V | null;
  symbolRatio?: V | null;
};

export type LeaderMove<V = Decimal.Value> = { positionBefore: V; positionAfter: V };

export type PlanInput<V = Decimal.Value> = {
  sizing: PlanSizing<V>;
  /**
   * The leader's position in the symbol before and after the event being copied. For
   * reconciliation there is no new fill: before = after = the leader's position now.
   */
  leader: LeaderMove<V>;
  /**
   * The price the slippage limit compares against: the leader's fill price, or for
   * reconciliation the leader's last fill price in the symbol.
   */
  leaderPrice: V;
  copy: {
    status: CopyStatus;
    /** Signed position the copy holds in the symbol. */
    position: V;
    /** Signed quantity still on its way in working orders of this copy and symbol. */
    openQty: V;
    /** Symbols (this one included) where the copy holds a non-zero position. */
    openPositions: number;
  };
  instrument: PlanInstrument<V>;
  quote: { bid: V; ask: V };
  /** Funds this copy may spend on increases now (see `availableFunds`), shared per account. */
  funds: V;
  limits: PlanLimits<V>;
  leaderCopyable: boolean;
  breakerOpen: string | null;
  /** The leader's open strategy-change flag, when this copy chose to pause increases for it. */
  leaderStrategyChange?: string | null;
  /** Today's loss so far (positive is a loss), or null when the copy has no daily limit. */
  dailyLoss: V | null;
  onInsufficientFunds: "reduce" | "skip";
};

export type RatioChange = { kind: "keep" } | { kind: "set"; ratio: Decimal } | { kind: "clear" };

/** A plan's numbers as Fixed, for the fan-out, which writes them as text. */
export type PlanNumbers = {
  ratio: Fixed;
  target: Fixed;
  delta: Fixed;
  orderQty: Fixed;
  fundsUsed: Fixed;
};

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
  /** The same numbers as Fixed. */
  fx: PlanNumbers;
};

/**
 * A plan whose Decimal numbers are made when asked for: the fan-out reads only `fx`, and a
 * Decimal per number and follower was most of what planning allocated.
 */
class PlanResult implements Plan {
  constructor(
    readonly fx: PlanNumbers,
    readonly ratioChange: RatioChange,
    readonly action: Decision["action"],
    readonly reason: Reason,
    readonly checks: RiskCheck[],
  ) {}
  get ratio(): Decimal {
    return fxDecimal(this.fx.ratio);
  }
  get target(): Decimal {
    return fxDecimal(this.fx.target);
  }
  get delta(): Decimal {
    return fxDecimal(this.fx.delta);
  }
  get orderQty(): Decimal {
    return fxDecimal(this.fx.orderQty);
  }
  get fundsUsed(): Decimal {
    return fxDecimal(this.fx.fundsUsed);
  }
}

/**
 * The ratio a target uses for one symbol. `fixed_notional` takes a new ratio whenever the
 * leader opens from flat (or the far side of a flip), from that opening's quantity and
 * price; a copy that joined mid-position takes it from the whole position; it is cleared
 * when the leader is flat.
 */
export function planRatio(
  sizing: PlanSizing,
  leader: LeaderMove,
  price: Decimal.Value,
  multiplier: Decimal.Value,
): { ratio: Decimal; change: RatioChange } {
  const { ratio, change } = fxPlanRatio(sizing, leader, price, multiplier);
  return { ratio: fxDecimal(ratio), change };
}

function fxPlanRatio(
  sizing: PlanSizing<Num>,
  leader: LeaderMove<Num>,
  price: Num,
  multiplier: Num,
): { ratio: Fixed; change: RatioChange } {
  if (sizing.mode !== "fixed_notional") return { ratio: toFx(sizing.ratio ?? 0), change: KEEP };
  const after = toFx(leader.positionAfter);
  const held = sizing.symbolRatio === null || sizing.symbolRatio === undefined;
  if (after.n === 0n) return { ratio: FX_ZERO, change: held ? KEEP : CLEAR };
  const before = toFx(leader.positionBefore);
  const flip = fxSplitFlip(before, fxMinus(after, before));
  if (flip.opensFromFlat || held) {
    const basis = flip.opensFromFlat ? flip.openQty : after;
    // a division: decimal.js, once per copy and opening
    const ratio = fixedNotionalRatio(
      decimalOf(sizing.notional ?? "0"),
      fxDecimal(basis),
      decimalOf(price),
      decimalOf(multiplier),
    );
    return { ratio: fx(ratio), change: { kind: "set", ratio } };
  }
  return { ratio: toFx(sizing.symbolRatio!), change: KEEP };
}
const KEEP: RatioChange = { kind: "keep" };
const CLEAR: RatioChange = { kind: "clear" };
const decimalOf = (v: Num): Decimal.Value => (isFixed(v) ? fxDecimal(v) : v);

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
export function planCopyOrder(input: PlanInput<Num>): Plan {
  const { ratio, change } = fxPlanRatio(
    input.sizing,
    input.leader,
    input.leaderPrice,
    input.instrument.multiplier,
  );
  const target = fxTargetPosition(ratio, input.leader.positionAfter, input.instrument.qtyStep);
  const held = toFx(input.copy.position);
  const openQty = toFx(input.copy.openQty);
  const effective = fxPlus(held, openQty);
  const delta = fxOrderDelta(target, held, openQty);
  // Counted against the effective position: a symbol being closed by a working order no
  // longer counts, one being opened by one already does.
  const openPositions =
    input.copy.openPositions - (held.n === 0n ? 0 : 1) + (effective.n === 0n ? 0 : 1);
  const d = fxDecide({
    status: input.copy.status,
    leaderCopyable: input.leaderCopyable,
    breakerOpen: input.breakerOpen,
    leaderStrategyChange: input.leaderStrategyChange ?? null,
    position: effective,
    delta,
    fillPrice: delta.n < 0n ? input.quote.bid : input.quote.ask,
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
  const { increase } = fxSplitReduceIncrease(effective, d.orderQty);
  let fundsUsed = FX_ZERO;
  if (increase.n !== 0n) {
    const price = toFx(d.orderQty.n < 0n ? input.quote.bid : input.quote.ask);
    const perUnit = fxPlus(
      fxTimes(price, toFx(input.instrument.multiplier)),
      toFx(input.instrument.commissionPerUnit),
    );
    fundsUsed = fxTimes(fxAbs(increase), perUnit);
  }
  return new PlanResult(
    { ratio, target, delta, orderQty: d.orderQty, fundsUsed },
    change,
    d.action,
    d.reason,
    d.checks,
  );
}

export type WorkingOrder<V = Decimal.Value> = {
  symbol: string;
  side: "buy" | "sell";
  /** Quantity not yet filled. */
  remaining: V;
  limitPrice?: V | null;
};

type FundsInput<V = Decimal.Value> = {
  cash: V;
  positions: ReadonlyMap<string, V>;
  workingOrders: readonly WorkingOrder<V>[];
  quotes: ReadonlyMap<string, { bid: V; ask: V }>;
  instruments: ReadonlyMap<string, { multiplier: V; commissionPerUnit: V }>;
};

/**
 * Funds an account can spend on new exposure: its cash less what its working orders will
 * take when they fill — the part of each that opens or grows a position, at the price it
 * would fill at (its limit, else ask for a buy and bid for a sell) plus commission. Shared
 * by every copy on the account and by its manual orders, so two copies cannot both spend
 * the same cash and the broker is never asked for what our own rule should have reduced.
 */
export function availableFunds(input: FundsInput): Decimal {
  return fxDecimal(fxAvailableFunds(input));
}

const FX_ONE: Fixed = { n: 1n, s: 0 };

export function fxAvailableFunds(input: FundsInput<Num>): Fixed {
  const projected = new Map<string, Fixed>();
  for (const [s, q] of input.positions) projected.set(s, toFx(q));
  let reserved = FX_ZERO;
  for (const o of input.workingOrders) {
    const pos = projected.get(o.symbol) ?? FX_ZERO;
    const remaining = toFx(o.remaining);
    const signed = o.side === "buy" ? remaining : fxNeg(remaining);
    const { increase } = fxSplitReduceIncrease(pos, signed);
    projected.set(o.symbol, fxPlus(pos, signed));
    if (increase.n === 0n) continue;
    const q = input.quotes.get(o.symbol);
    const inst = input.instruments.get(o.symbol);
    const price =
      o.limitPrice !== null && o.limitPrice !== undefined
        ? toFx(o.limitPrice)
        : toFx((o.side === "buy" ? q?.ask : q?.bid) ?? 0);
    const perUnit = fxPlus(
      fxTimes(price, inst ? toFx(inst.multiplier) : FX_ONE),
      inst ? toFx(inst.commissionPerUnit) : FX_ZERO,
    );
    reserved = fxPlus(reserved, fxTimes(fxAbs(increase), perUnit));
  }
  return fxMinus(toFx(input.cash), reserved);
}
