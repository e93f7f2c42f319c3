import {
  FX_ZERO,
  fx,
  fxAbs,
  fxCmp,
  fxDecimal,
  fxIfPlain,
  fxMinus,
  fxNeg,
  fxOnStep,
  fxPlus,
  fxQuantize,
  fxRound,
  fxText,
  fxTimes,
  isFixed,
  toFx,
  type Fixed,
  type Num,
} from "./fixed";
import { D, Decimal, DomainError } from "./money";
import { fxSplitReduceIncrease } from "./sizing";

/** The closed list of decision reasons; the report and the database store these verbatim. */
export const REASONS = [
  "OK",
  "BELOW_MIN_SIZE",
  "INSUFFICIENT_FUNDS",
  "MAX_SYMBOL_EXPOSURE",
  "MAX_OPEN_POSITIONS",
  "SLIPPAGE",
  "PAUSED",
  "STOPPED",
  "COPY_STOP_LOSS",
  "DAILY_LOSS_LIMIT",
  "BROKER_REJECTED",
  "LEADER_NOT_COPYABLE",
  "CIRCUIT_BREAKER",
  "RATE_LIMITED",
  "LEADER_STRATEGY_CHANGE",
] as const;
export type Reason = (typeof REASONS)[number];

export function isReason(x: unknown): x is Reason {
  return typeof x === "string" && (REASONS as readonly string[]).includes(x);
}

export type CopyStatus = "active" | "paused" | "stopped";
export type DecisionAction = "placed" | "reduced" | "skipped" | "none";

export interface RiskCheck {
  check: string;
  passed: boolean;
  detail: string;
}

export interface Decision {
  action: DecisionAction;
  /** Signed; 0 when skipped or none. */
  orderQty: Decimal;
  reason: Reason;
  checks: RiskCheck[];
}

/**
 * What `decide` needs. The planner passes numbers as Fixed it parsed once per batch
 * (`RiskInput<Num>`); every other caller passes decimals.
 */
export interface RiskInput<V = Decimal.Value> {
  status: CopyStatus;
  leaderCopyable: boolean;
  /** Name of the open circuit breaker, or null. */
  breakerOpen: string | null;
  /**
   * The leader is flagged for a strategy change (server/domain/strategy-change.ts) and this
   * follower chose to pause increases while the flag is open; the flag's reason, or null.
   */
  leaderStrategyChange?: string | null;
  /** Current signed follower position in the symbol. */
  position: V;
  /** Desired signed order quantity (orderDelta). */
  delta: V;
  /** Price the order would fill at: ask for buys, bid for sells. */
  fillPrice: V;
  /** The leader's fill price, for the slippage check. */
  leaderPrice: V;
  multiplier: V;
  qtyStep: V;
  minQty: V;
  minNotional: V;
  commissionPerUnit: V;
  /** Cash that may be spent on increases. Proceeds of the reduce part are NOT added here. */
  availableCash: V;
  /** Non-zero positions in other symbols, plus this one if it is non-zero. */
  openPositions: number;
  maxSymbolExposure?: V | null;
  maxOpenPositions?: number | null;
  maxSlippageBps?: V | null;
  dailyLossLimit?: V | null;
  /** Today's loss so far; positive is a loss. */
  dailyLoss?: V | null;
  onInsufficientFunds: "reduce" | "skip";
}

/** `Decision` on exact scaled integers, as `fxDecide` returns it. */
export interface FxDecision {
  action: DecisionAction;
  /** Signed; 0 when skipped or none. */
  orderQty: Fixed;
  reason: Reason;
  checks: RiskCheck[];
}

function invalid(field: string, why: string): never {
  throw new DomainError("INVALID_RISK_INPUT", `${field} ${why}`);
}

const shown = (v: Num) => (isFixed(v) ? fxText(v) : String(v));

/** Parses a limit or price; a NaN or infinite one is refused like a negative one. */
function finite(v: Num, field: string, why: string): Fixed {
  if (isFixed(v)) return v;
  // The copy's limits arrive as numeric text from the database: parsed exactly, no Decimal.
  const plain = fxIfPlain(v);
  if (plain !== null) return plain;
  const d = D(v);
  if (!d.isFinite()) invalid(field, `${why}, got ${String(v)}`);
  return fx(d);
}

function positive(v: Num, field: string): Fixed {
  const f = finite(v, field, "must be positive");
  if (f.n <= 0n) invalid(field, `must be positive, got ${shown(v)}`);
  return f;
}

function nonNegative(v: Num, field: string): Fixed {
  const f = finite(v, field, "must not be negative");
  if (f.n < 0n) invalid(field, `must not be negative, got ${shown(v)}`);
  return f;
}

function count(v: number, field: string): number {
  if (!Number.isSafeInteger(v) || v < 0) invalid(field, `must be a non-negative integer, got ${v}`);
  return v;
}

const present = <T>(v: T | null | undefined): v is T => v !== null && v !== undefined;

/*
 * Module-level helpers rather than closures inside `decide`: it runs once per follower of
 * every fan-out, and each named closure costs an allocation plus the name-keeping wrapper
 * the TypeScript loader adds per call (a measurable share of planning time, ADR 0041).
 */
type Recorder = { checks: RiskCheck[]; first: Reason | null };
function record(r: Recorder, check: string, passed: boolean, detail: string, bound?: Reason) {
  r.checks.push({ check, passed, detail });
  if (!passed && bound && r.first === null) r.first = bound;
}
const exposureOf = (base: Fixed, q: Fixed, unit: Fixed) => fxTimes(fxAbs(fxPlus(base, q)), unit);
const costOf = (q: Fixed, perUnit: Fixed) => fxTimes(fxAbs(q), perUnit);

/**
 * The slippage in bps of a fill price against the leader's, and as shown (2 places): a
 * division, so on decimal.js, and remembered for the last prices asked, which are the same
 * two Fixed (bid, ask) for every follower of a fan-out batch.
 */
type Slippage = { fill: Fixed; leader: Fixed; bps: Fixed; shown: string };
const slippageMemo: (Slippage | null)[] = [null, null];
function slippageOf(fillPrice: Fixed, leaderPrice: Fixed): Slippage {
  for (const m of slippageMemo) if (m && m.fill === fillPrice && m.leader === leaderPrice) return m;
  const lp = fxDecimal(leaderPrice);
  const bps = fxDecimal(fillPrice).minus(lp).abs().div(lp).times(10000);
  const m = {
    fill: fillPrice,
    leader: leaderPrice,
    bps: fx(bps),
    shown: bps.toDecimalPlaces(2).toFixed(),
  };
  slippageMemo[1] = slippageMemo[0]!;
  slippageMemo[0] = m;
  return m;
}

/** `fxDecide` with the order quantity as a Decimal, for callers outside the planner. */
export function decide(input: RiskInput): Decision {
  const d = fxDecide(input);
  return { ...d, orderQty: fxDecimal(d.orderQty) };
}

/**
 * The pre-trade decision for one follower order. The order is split into the part that
 * moves the position toward zero, which always passes, and the part that opens or grows
 * it, which must pass every limit in a fixed order. A limit that binds shrinks the increase
 * to what fits; the reason reported is the first limit that bound.
 *
 * On exact scaled integers rounded as decimal.js rounds at 50 digits (fixed.ts), so the
 * numbers are the ones the decimal rule gives (risk.test.ts holds them to decimal.js).
 */
export function fxDecide(input: RiskInput<Num>): FxDecision {
  const position = toFx(input.position);
  const delta = toFx(input.delta);
  const fillPrice = positive(input.fillPrice, "fillPrice");
  const multiplier = positive(input.multiplier, "multiplier");
  const step = positive(input.qtyStep, "qtyStep");
  const minQty = nonNegative(input.minQty, "minQty");
  const minNotional = nonNegative(input.minNotional, "minNotional");
  const commission = nonNegative(input.commissionPerUnit, "commissionPerUnit");
  const cash = toFx(input.availableCash);
  const openPositions = count(input.openPositions, "openPositions");

  const checks: RiskCheck[] = [];
  if (delta.n === 0n) return { action: "none", orderQty: FX_ZERO, reason: "OK", checks };

  // The checks in order and the first limit that bound (the reason reported).
  const rec: Recorder = { checks, first: null };
  const unit = fxTimes(fillPrice, multiplier);
  const { reduce, increase: wanted } = fxSplitReduceIncrease(position, delta);
  const base = fxPlus(position, reduce);

  if (reduce.n !== 0n) {
    record(
      rec,
      "reduce",
      true,
      `reducing ${fxText(position)} by ${fxText(reduce)} is always allowed`,
    );
  }

  // Every increase check in its fixed order; each runs only while something is left.
  let inc = wanted;
  if (inc.n !== 0n) {
    if (input.status === "active") record(rec, "status", true, "copy is active");
    else {
      record(
        rec,
        "status",
        false,
        `copy is ${input.status}: no increases`,
        input.status === "paused" ? "PAUSED" : "STOPPED",
      );
      inc = FX_ZERO;
    }
  }
  if (inc.n !== 0n) {
    if (input.leaderCopyable) record(rec, "leader_copyable", true, "leader is copyable");
    else {
      record(
        rec,
        "leader_copyable",
        false,
        "leader is not copyable: no increases",
        "LEADER_NOT_COPYABLE",
      );
      inc = FX_ZERO;
    }
  }
  if (inc.n !== 0n) {
    if (input.breakerOpen === null) record(rec, "circuit_breaker", true, "no breaker open");
    else {
      record(
        rec,
        "circuit_breaker",
        false,
        `breaker "${input.breakerOpen}" is open: no increases`,
        "CIRCUIT_BREAKER",
      );
      inc = FX_ZERO;
    }
  }
  if (inc.n !== 0n && present(input.leaderStrategyChange)) {
    record(
      rec,
      "leader_strategy_change",
      false,
      `leader flagged for a strategy change (${input.leaderStrategyChange}): no increases, as you chose`,
      "LEADER_STRATEGY_CHANGE",
    );
    inc = FX_ZERO;
  }
  if (inc.n !== 0n && present(input.dailyLossLimit)) {
    const limit = nonNegative(input.dailyLossLimit, "dailyLossLimit");
    const loss = toFx(input.dailyLoss ?? 0);
    if (fxCmp(loss, limit) < 0)
      record(rec, "daily_loss", true, `daily loss ${fxText(loss)} below limit ${fxText(limit)}`);
    else {
      record(
        rec,
        "daily_loss",
        false,
        `daily loss ${fxText(loss)} reached limit ${fxText(limit)}`,
        "DAILY_LOSS_LIMIT",
      );
      inc = FX_ZERO;
    }
  }
  if (inc.n !== 0n && present(input.maxSlippageBps)) {
    const max = nonNegative(input.maxSlippageBps, "maxSlippageBps");
    const slip = slippageOf(fillPrice, positive(input.leaderPrice, "leaderPrice"));
    if (fxCmp(slip.bps, max) <= 0)
      record(rec, "slippage", true, `${slip.shown} bps within ${fxText(max)} bps`);
    else {
      record(rec, "slippage", false, `${slip.shown} bps exceeds ${fxText(max)} bps`, "SLIPPAGE");
      inc = FX_ZERO;
    }
  }
  if (inc.n !== 0n && present(input.maxOpenPositions) && base.n === 0n) {
    const max = count(input.maxOpenPositions, "maxOpenPositions");
    // A flip closes this symbol before reopening it, so it does not add to the count.
    const others = openPositions - (position.n === 0n ? 0 : 1);
    if (others < max) record(rec, "open_positions", true, `${others} open elsewhere, limit ${max}`);
    else {
      record(
        rec,
        "open_positions",
        false,
        `${others} positions open, limit ${max}: no new position`,
        "MAX_OPEN_POSITIONS",
      );
      inc = FX_ZERO;
    }
  }
  if (inc.n !== 0n && present(input.maxSymbolExposure)) {
    const max = nonNegative(input.maxSymbolExposure, "maxSymbolExposure");
    const exposure = exposureOf(base, inc, unit);
    if (fxCmp(exposure, max) <= 0) {
      record(rec, "symbol_exposure", true, `exposure ${fxText(exposure)} within ${fxText(max)}`);
    } else {
      const maxD = fxDecimal(max);
      const estimate = maxD.div(fxDecimal(unit)).minus(fxDecimal(fxAbs(base)));
      let fits: Fixed = FX_ZERO;
      if (estimate.gt(0)) {
        let abs = fxQuantize(minAbs(fx(estimate), inc), step);
        while (abs.n > 0n && fxCmp(exposureOf(base, withSign(abs, inc), unit), max) > 0)
          abs = fxMinus(abs, step);
        if (abs.n > 0n) fits = withSign(abs, inc);
      }
      record(
        rec,
        "symbol_exposure",
        false,
        `exposure ${fxText(exposure)} exceeds ${fxText(max)}; increase cut from ${fxText(inc)} to ${fxText(fits)}`,
        "MAX_SYMBOL_EXPOSURE",
      );
      inc = fits;
    }
  }
  if (inc.n !== 0n) {
    const perUnit = fxPlus(unit, commission);
    const cost = costOf(inc, perUnit);
    if (fxCmp(cost, cash) <= 0) {
      record(rec, "funds", true, `cost ${fxText(cost)} within available ${fxText(cash)}`);
    } else {
      let fits: Fixed = FX_ZERO;
      if (input.onInsufficientFunds === "reduce") {
        const estimate = fxDecimal(cash).div(fxDecimal(perUnit));
        if (estimate.gt(0)) {
          let abs = fxQuantize(minAbs(fx(estimate), inc), step);
          while (abs.n > 0n && fxCmp(costOf(abs, perUnit), cash) > 0) abs = fxMinus(abs, step);
          if (abs.n > 0n) fits = withSign(abs, inc);
        }
      }
      record(
        rec,
        "funds",
        false,
        `cost ${fxText(cost)} exceeds available ${fxText(cash)} (policy ${input.onInsufficientFunds}); increase cut from ${fxText(inc)} to ${fxText(fits)}`,
        "INSUFFICIENT_FUNDS",
      );
      inc = fits;
    }
  }

  let final = fxPlus(reduce, inc);
  const flatteningReduce = reduce.n !== 0n && fxPlus(position, reduce).n === 0n;

  // Only reachable when the position or delta is off the step (a changed instrument, a
  // manual trade): the broker would refuse an off-step order, so prefer closing the odd
  // position when the order passes through flat, else round the order toward zero.
  if (final.n !== 0n && fxPlus(position, final).n !== 0n && !fxOnStep(final, step)) {
    const fixed = flatteningReduce ? reduce : fxQuantize(final, step);
    record(
      rec,
      "step",
      false,
      `order ${fxText(final)} is off the ${fxText(step)} step; sending ${fxText(fixed)}`,
      "BELOW_MIN_SIZE",
    );
    final = fixed;
  }

  if (final.n !== 0n && fxPlus(position, final).n !== 0n) {
    const notional = fxTimes(fxAbs(final), unit);
    if (fxCmp(fxAbs(final), minQty) < 0 || fxCmp(notional, minNotional) < 0) {
      const fallback = flatteningReduce ? reduce : FX_ZERO;
      record(
        rec,
        "min_size",
        false,
        `order ${fxText(final)} (notional ${fxText(notional)}) is below minimum qty ${fxText(minQty)} / notional ${fxText(minNotional)}`,
        "BELOW_MIN_SIZE",
      );
      final = fallback;
    } else {
      record(rec, "min_size", true, `order ${fxText(final)} meets minimum qty and notional`);
    }
  } else if (final.n !== 0n) {
    record(rec, "min_size", true, `order ${fxText(final)} leaves the position flat: always sent`);
  }

  if (fxCmp(final, delta) === 0) return { action: "placed", orderQty: final, reason: "OK", checks };
  return {
    action: final.n === 0n ? "skipped" : "reduced",
    orderQty: final,
    reason: rec.first ?? "OK",
    checks,
  };
}

/*
 * A limit that binds cuts the increase to the largest step multiple in its direction, no
 * larger than |inc|, that fits: `estimate` is the bound by division (decimal.js, 50 digits),
 * which can land a hair above the true bound, so the candidate is re-checked and stepped
 * back while it does not fit.
 */
const minAbs = (estimate: Fixed, inc: Fixed) =>
  fxCmp(estimate, fxAbs(inc)) < 0 ? estimate : fxAbs(inc);
const withSign = (abs: Fixed, like: Fixed) => (like.n < 0n ? fxNeg(abs) : abs);

/** The copy stop-loss: hit when P&L has fallen to −pct % of the reference capital. */
export function copyStopLossHit(input: {
  pnl: Decimal.Value;
  referenceCapital: Decimal.Value;
  pct: Decimal.Value;
}): boolean {
  const ref = positive(input.referenceCapital, "referenceCapital");
  const pct = positive(input.pct, "pct");
  // pct / 100 is a shift of two places (rounded at 50 digits, as decimal.js divides).
  const limit = fxNeg(fxTimes(fxRound({ n: pct.n, s: pct.s + 2 }), ref));
  return fxCmp(toFx(input.pnl), limit) <= 0;
}
