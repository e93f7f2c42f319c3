import { D, Decimal, DomainError, ZERO, fmt, isOnStep, quantizeTowardZero, sign } from "./money";
import { splitReduceIncrease } from "./sizing";

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

export interface RiskInput {
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
  position: Decimal.Value;
  /** Desired signed order quantity (orderDelta). */
  delta: Decimal.Value;
  /** Price the order would fill at: ask for buys, bid for sells. */
  fillPrice: Decimal.Value;
  /** The leader's fill price, for the slippage check. */
  leaderPrice: Decimal.Value;
  multiplier: Decimal.Value;
  qtyStep: Decimal.Value;
  minQty: Decimal.Value;
  minNotional: Decimal.Value;
  commissionPerUnit: Decimal.Value;
  /** Cash that may be spent on increases. Proceeds of the reduce part are NOT added here. */
  availableCash: Decimal.Value;
  /** Non-zero positions in other symbols, plus this one if it is non-zero. */
  openPositions: number;
  maxSymbolExposure?: Decimal.Value | null;
  maxOpenPositions?: number | null;
  maxSlippageBps?: Decimal.Value | null;
  dailyLossLimit?: Decimal.Value | null;
  /** Today's loss so far; positive is a loss. */
  dailyLoss?: Decimal.Value | null;
  onInsufficientFunds: "reduce" | "skip";
}

function invalid(field: string, why: string): never {
  throw new DomainError("INVALID_RISK_INPUT", `${field} ${why}`);
}

function positive(v: Decimal.Value, field: string): Decimal {
  const d = D(v);
  if (!d.isFinite() || d.lte(0)) invalid(field, `must be positive, got ${String(v)}`);
  return d;
}

function nonNegative(v: Decimal.Value, field: string): Decimal {
  const d = D(v);
  if (!d.isFinite() || (d.isNeg() && !d.isZero()))
    invalid(field, `must not be negative, got ${String(v)}`);
  return d;
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
const exposureOf = (base: Decimal, q: Decimal, unit: Decimal) => base.plus(q).abs().times(unit);
const costOf = (q: Decimal, perUnit: Decimal) => q.abs().times(perUnit);

/**
 * The pre-trade decision for one follower order. The order is split into the part that
 * moves the position toward zero, which always passes, and the part that opens or grows
 * it, which must pass every limit in a fixed order. A limit that binds shrinks the increase
 * to what fits; the reason reported is the first limit that bound.
 */
export function decide(input: RiskInput): Decision {
  const position = D(input.position);
  const delta = D(input.delta);
  const fillPrice = positive(input.fillPrice, "fillPrice");
  const multiplier = positive(input.multiplier, "multiplier");
  const step = positive(input.qtyStep, "qtyStep");
  const minQty = nonNegative(input.minQty, "minQty");
  const minNotional = nonNegative(input.minNotional, "minNotional");
  const commission = nonNegative(input.commissionPerUnit, "commissionPerUnit");
  const cash = D(input.availableCash);
  const openPositions = count(input.openPositions, "openPositions");

  const checks: RiskCheck[] = [];
  if (delta.isZero()) return { action: "none", orderQty: ZERO, reason: "OK", checks };

  // The checks in order and the first limit that bound (the reason reported).
  const rec: Recorder = { checks, first: null };
  const unit = fillPrice.times(multiplier);
  const { reduce, increase: wanted } = splitReduceIncrease(position, delta);
  const base = position.plus(reduce);

  if (!reduce.isZero()) {
    record(rec, "reduce", true, `reducing ${fmt(position)} by ${fmt(reduce)} is always allowed`);
  }

  let inc = wanted;

  type Check = () => void;
  const incChecks: Check[] = [
    () => {
      if (input.status === "active") record(rec, "status", true, "copy is active");
      else {
        record(
          rec,
          "status",
          false,
          `copy is ${input.status}: no increases`,
          input.status === "paused" ? "PAUSED" : "STOPPED",
        );
        inc = ZERO;
      }
    },
    () => {
      if (input.leaderCopyable) record(rec, "leader_copyable", true, "leader is copyable");
      else {
        record(
          rec,
          "leader_copyable",
          false,
          "leader is not copyable: no increases",
          "LEADER_NOT_COPYABLE",
        );
        inc = ZERO;
      }
    },
    () => {
      if (input.breakerOpen === null) record(rec, "circuit_breaker", true, "no breaker open");
      else {
        record(
          rec,
          "circuit_breaker",
          false,
          `breaker "${input.breakerOpen}" is open: no increases`,
          "CIRCUIT_BREAKER",
        );
        inc = ZERO;
      }
    },
    () => {
      if (!present(input.leaderStrategyChange)) return;
      record(
        rec,
        "leader_strategy_change",
        false,
        `leader flagged for a strategy change (${input.leaderStrategyChange}): no increases, as you chose`,
        "LEADER_STRATEGY_CHANGE",
      );
      inc = ZERO;
    },
    () => {
      if (!present(input.dailyLossLimit)) return;
      const limit = nonNegative(input.dailyLossLimit, "dailyLossLimit");
      const loss = D(input.dailyLoss ?? 0);
      if (loss.lt(limit))
        record(rec, "daily_loss", true, `daily loss ${fmt(loss)} below limit ${fmt(limit)}`);
      else {
        record(
          rec,
          "daily_loss",
          false,
          `daily loss ${fmt(loss)} reached limit ${fmt(limit)}`,
          "DAILY_LOSS_LIMIT",
        );
        inc = ZERO;
      }
    },
    () => {
      if (!present(input.maxSlippageBps)) return;
      const max = nonNegative(input.maxSlippageBps, "maxSlippageBps");
      const leaderPrice = positive(input.leaderPrice, "leaderPrice");
      const bps = fillPrice.minus(leaderPrice).abs().div(leaderPrice).times(10000);
      const shown = bps.toDecimalPlaces(2).toFixed();
      if (bps.lte(max)) record(rec, "slippage", true, `${shown} bps within ${fmt(max)} bps`);
      else {
        record(rec, "slippage", false, `${shown} bps exceeds ${fmt(max)} bps`, "SLIPPAGE");
        inc = ZERO;
      }
    },
    () => {
      if (!present(input.maxOpenPositions) || !base.isZero()) return;
      const max = count(input.maxOpenPositions, "maxOpenPositions");
      // A flip closes this symbol before reopening it, so it does not add to the count.
      const others = openPositions - (position.isZero() ? 0 : 1);
      if (others < max)
        record(rec, "open_positions", true, `${others} open elsewhere, limit ${max}`);
      else {
        record(
          rec,
          "open_positions",
          false,
          `${others} positions open, limit ${max}: no new position`,
          "MAX_OPEN_POSITIONS",
        );
        inc = ZERO;
      }
    },
    () => {
      if (!present(input.maxSymbolExposure)) return;
      const max = nonNegative(input.maxSymbolExposure, "maxSymbolExposure");
      if (exposureOf(base, inc, unit).lte(max)) {
        record(
          rec,
          "symbol_exposure",
          true,
          `exposure ${fmt(exposureOf(base, inc, unit))} within ${fmt(max)}`,
        );
        return;
      }
      const fits = largestFitting(
        inc,
        step,
        (q) => exposureOf(base, q, unit).lte(max),
        max.div(unit).minus(base.abs()),
      );
      record(
        rec,
        "symbol_exposure",
        false,
        `exposure ${fmt(exposureOf(base, inc, unit))} exceeds ${fmt(max)}; increase cut from ${fmt(inc)} to ${fmt(fits)}`,
        "MAX_SYMBOL_EXPOSURE",
      );
      inc = fits;
    },
    () => {
      const perUnit = unit.plus(commission);
      if (costOf(inc, perUnit).lte(cash)) {
        record(
          rec,
          "funds",
          true,
          `cost ${fmt(costOf(inc, perUnit))} within available ${fmt(cash)}`,
        );
        return;
      }
      const fits =
        input.onInsufficientFunds === "reduce"
          ? largestFitting(inc, step, (q) => costOf(q, perUnit).lte(cash), cash.div(perUnit))
          : ZERO;
      record(
        rec,
        "funds",
        false,
        `cost ${fmt(costOf(inc, perUnit))} exceeds available ${fmt(cash)} (policy ${input.onInsufficientFunds}); increase cut from ${fmt(inc)} to ${fmt(fits)}`,
        "INSUFFICIENT_FUNDS",
      );
      inc = fits;
    },
  ];
  for (const check of incChecks) {
    if (inc.isZero()) break;
    check();
  }

  let final = reduce.plus(inc);
  const flatteningReduce = !reduce.isZero() && position.plus(reduce).isZero();

  // Only reachable when the position or delta is off the step (a changed instrument, a
  // manual trade): the broker would refuse an off-step order, so prefer closing the odd
  // position when the order passes through flat, else round the order toward zero.
  if (!final.isZero() && !position.plus(final).isZero() && !isOnStep(final, step)) {
    const fixed = flatteningReduce ? reduce : quantizeTowardZero(final, step);
    record(
      rec,
      "step",
      false,
      `order ${fmt(final)} is off the ${fmt(step)} step; sending ${fmt(fixed)}`,
      "BELOW_MIN_SIZE",
    );
    final = fixed;
  }

  if (!final.isZero() && !position.plus(final).isZero()) {
    const notional = final.abs().times(unit);
    if (final.abs().lt(minQty) || notional.lt(minNotional)) {
      const fallback = flatteningReduce ? reduce : ZERO;
      record(
        rec,
        "min_size",
        false,
        `order ${fmt(final)} (notional ${fmt(notional)}) is below minimum qty ${fmt(minQty)} / notional ${fmt(minNotional)}`,
        "BELOW_MIN_SIZE",
      );
      final = fallback;
    } else {
      record(rec, "min_size", true, `order ${fmt(final)} meets minimum qty and notional`);
    }
  } else if (!final.isZero()) {
    record(rec, "min_size", true, `order ${fmt(final)} leaves the position flat: always sent`);
  }

  if (final.isZero()) final = ZERO;
  if (final.eq(delta)) return { action: "placed", orderQty: final, reason: "OK", checks };
  return {
    action: final.isZero() ? "skipped" : "reduced",
    orderQty: final,
    reason: rec.first ?? "OK",
    checks,
  };
}

/**
 * The largest step multiple in the direction of `inc`, no larger than |inc|, that `fits`.
 * `estimate` is the exact bound computed by division; a 50-digit division can land a hair
 * above the true bound, so the candidate is re-checked and stepped back if needed.
 */
function largestFitting(
  inc: Decimal,
  step: Decimal,
  fits: (q: Decimal) => boolean,
  estimate: Decimal,
): Decimal {
  if (estimate.lte(0)) return ZERO;
  let abs = quantizeTowardZero(estimate.lt(inc.abs()) ? estimate : inc.abs(), step);
  const s = sign(inc);
  while (abs.gt(0) && !fits(abs.times(s))) abs = abs.minus(step);
  return abs.gt(0) ? abs.times(s) : ZERO;
}

/** The copy stop-loss: hit when P&L has fallen to −pct % of the reference capital. */
export function copyStopLossHit(input: {
  pnl: Decimal.Value;
  referenceCapital: Decimal.Value;
  pct: Decimal.Value;
}): boolean {
  const ref = positive(input.referenceCapital, "referenceCapital");
  const pct = positive(input.pct, "pct");
  return D(input.pnl).lte(pct.div(100).times(ref).neg());
}
