import { D, Decimal, DomainError, ZERO } from "./money";

function nonNegative(v: Decimal.Value, field: string): Decimal {
  const d = D(v);
  if (!d.isFinite() || (d.isNeg() && !d.isZero())) {
    throw new DomainError("INVALID_FEE_INPUT", `${field} must not be negative, got ${String(v)}`);
  }
  return d;
}

/**
 * Broker commission for one execution: |qty| × perUnit plus bps of the notional, never less
 * than `minimum`. Nothing is rounded (replays settle exact decimals). The minimum applies to
 * each call: to charge a per-order minimum across partial fills, call it once with the
 * order's total. A zero quantity costs nothing, minimum or not.
 */
export function commission(input: {
  qty: Decimal.Value;
  perUnit: Decimal.Value;
  minimum?: Decimal.Value | null;
  bps?: Decimal.Value | null;
  price?: Decimal.Value | null;
  multiplier?: Decimal.Value | null;
}): Decimal {
  const qty = D(input.qty).abs();
  const perUnit = nonNegative(input.perUnit, "perUnit");
  if (qty.isZero()) return ZERO;
  let fee = qty.times(perUnit);
  if (input.bps !== undefined && input.bps !== null) {
    const bps = nonNegative(input.bps, "bps");
    if (input.price === undefined || input.price === null) {
      throw new DomainError("INVALID_FEE_INPUT", "a bps commission needs the fill price");
    }
    const price = nonNegative(input.price, "price");
    const multiplier = nonNegative(input.multiplier ?? 1, "multiplier");
    fee = fee.plus(qty.times(price).times(multiplier).times(bps).div(10_000));
  }
  const minimum = nonNegative(input.minimum ?? 0, "minimum");
  return fee.lt(minimum) ? minimum : fee;
}

/**
 * Performance fee on a high-water mark. `netFlows` is deposits minus withdrawals since the
 * mark was set: money put in is not performance, so it raises the bar by the same amount.
 *
 * The returned `newHighWaterMark` assumes the caller resets `netFlows` to zero:
 * after a fee it is the equity net of the fee (otherwise paying the fee would look like a
 * loss to be recovered before the next fee); without one it is the old mark plus the flows,
 * so a loss must be made good before any fee is charged again.
 */
export function performanceFee(input: {
  equity: Decimal.Value;
  highWaterMark: Decimal.Value;
  netFlows: Decimal.Value;
  ratePct: Decimal.Value;
}): { fee: Decimal; gain: Decimal; newHighWaterMark: Decimal } {
  const rate = nonNegative(input.ratePct, "ratePct");
  if (rate.gt(100))
    throw new DomainError(
      "INVALID_FEE_INPUT",
      `ratePct must be at most 100, got ${String(input.ratePct)}`,
    );
  const equity = D(input.equity);
  const bar = D(input.highWaterMark).plus(input.netFlows);
  const gain = equity.minus(bar);
  if (gain.lte(0)) return { fee: ZERO, gain: ZERO, newHighWaterMark: bar };
  const fee = gain.times(rate).div(100);
  return { fee, gain, newHighWaterMark: equity.minus(fee) };
}

/*
 * The copy's fees (replay-format.md, "Fees"). Every fee charged is rounded toward zero to
 * 8 decimal places; accruals are exact and only their charge is rounded.
 */
export const FEE_DECIMALS = 8;
export type FeePeriod = "month" | "quarter";

export function roundFee(x: Decimal.Value): Decimal {
  return D(x).toDecimalPlaces(FEE_DECIMALS, Decimal.ROUND_DOWN);
}

/** Platform fee with one fill of a copy's order: bps ÷ 10 000 × qty × price × multiplier. */
export function platformFee(input: {
  qty: Decimal.Value;
  price: Decimal.Value;
  multiplier: Decimal.Value;
  bps: Decimal.Value;
}): Decimal {
  const bps = nonNegative(input.bps, "platformFeeBps");
  return roundFee(
    bps.div(10_000).times(D(input.qty).abs()).times(input.price).times(input.multiplier),
  );
}

/** What one day accrues at 00:00 UTC: pct ÷ 36 500 × the copy's equity then (never < 0). */
export function managementAccrual(input: {
  equity: Decimal.Value;
  pctYear: Decimal.Value;
}): Decimal {
  const pct = nonNegative(input.pctYear, "managementFeePctYear");
  const equity = D(input.equity);
  return equity.lte(0) ? ZERO : pct.div(36_500).times(equity);
}

/**
 * Settles a period: the management fee accrued is charged first, then the performance fee
 * on the equity after it above the high-water mark (a loss carries forward: nothing until
 * the copy is back above its mark); the mark becomes the larger of itself and the equity
 * after both fees.
 */
export function settleFeePeriod(input: {
  equity: Decimal.Value;
  highWaterMark: Decimal.Value;
  accrued: Decimal.Value;
  performancePct: Decimal.Value | null;
}): { management: Decimal; performance: Decimal; gain: Decimal; highWaterMark: Decimal } {
  const management = roundFee(input.accrued);
  const afterManagement = D(input.equity).minus(management);
  const hwm = D(input.highWaterMark);
  if (input.performancePct === null || D(input.performancePct).isZero()) {
    return {
      management,
      performance: ZERO,
      gain: ZERO,
      highWaterMark: maxOf(hwm, afterManagement),
    };
  }
  const p = performanceFee({
    equity: afterManagement,
    highWaterMark: hwm,
    netFlows: 0,
    ratePct: input.performancePct,
  });
  const performance = roundFee(p.fee);
  return {
    management,
    performance,
    gain: p.gain,
    highWaterMark: maxOf(hwm, afterManagement.minus(performance)),
  };
}

const maxOf = (a: Decimal, b: Decimal) => (a.gte(b) ? a : b);

/** The period containing `at`: "2026-01" or "2026-Q1". */
export function periodLabel(at: Date, period: FeePeriod): string {
  const y = at.getUTCFullYear();
  const m = at.getUTCMonth();
  return period === "month"
    ? `${y}-${String(m + 1).padStart(2, "0")}`
    : `${y}-Q${Math.floor(m / 3) + 1}`;
}

/** Whether a 00:00 UTC instant starts a new period (and so ends the one before). */
export function startsPeriod(midnight: Date, period: FeePeriod): boolean {
  if (midnight.getUTCDate() !== 1) return false;
  return period === "month" || midnight.getUTCMonth() % 3 === 0;
}

/*
 * The fee caps and the revenue share (docs/adr/0060, 0061). Leaders set their performance
 * and management fees within the caps; admins set the platform fee and the platform's share.
 */
export const FEE_CAPS = {
  performanceFeePct: "30",
  managementFeePctYear: "3",
  platformFeeBps: "100",
  platformSharePct: "100",
} as const;

function capped(v: string, label: string, cap: string, unit: string): string {
  const d = /^\d+(\.\d{1,4})?$/.test(v.trim()) ? D(v.trim()) : null;
  if (!d) throw new DomainError("INVALID_FEE_INPUT", `${label}: enter a number such as 20 or 1.5.`);
  if (d.gt(cap))
    throw new DomainError("INVALID_FEE_INPUT", `${label}: at most ${cap}${unit}, got ${v.trim()}.`);
  return d.toFixed();
}

export type LeaderFeeInput = {
  performanceFeePct: string;
  managementFeePctYear: string;
  period: FeePeriod;
};

/** A leader's fees, checked against the caps; the message names the field. */
export function checkLeaderFees(input: LeaderFeeInput): LeaderFeeInput {
  if (input.period !== "month" && input.period !== "quarter")
    throw new DomainError("INVALID_FEE_INPUT", "Fee period: choose month or quarter.");
  return {
    performanceFeePct: capped(
      input.performanceFeePct,
      "Performance fee",
      FEE_CAPS.performanceFeePct,
      " %",
    ),
    managementFeePctYear: capped(
      input.managementFeePctYear,
      "Management fee",
      FEE_CAPS.managementFeePctYear,
      " % a year",
    ),
    period: input.period,
  };
}

/** The platform's settings, checked: the platform fee in bps and its share of leader fees. */
export function checkPlatformFees(input: { platformFeeBps: string; platformSharePct: string }) {
  return {
    platformFeeBps: capped(input.platformFeeBps, "Platform fee", FEE_CAPS.platformFeeBps, " bps"),
    platformSharePct: capped(
      input.platformSharePct,
      "Platform share",
      FEE_CAPS.platformSharePct,
      " %",
    ),
  };
}

/**
 * A management or performance fee split between the platform and the leader: the platform's
 * share is rounded toward zero to 8 decimals and the leader gets the rest, so the two add up
 * to the fee exactly.
 */
export function revenueShare(
  amount: Decimal.Value,
  platformSharePct: Decimal.Value,
): { platform: Decimal; leader: Decimal } {
  const pct = nonNegative(platformSharePct, "platformSharePct");
  const platform = roundFee(D(amount).times(pct).div(100));
  return { platform, leader: D(amount).minus(platform) };
}

/**
 * The copy flow's worked example in money: on `amount` that gains `gainPct` in one period of
 * `days` days, with the position bought once (one fill of `amount`): the platform fee on that
 * fill, the management fee accrued on each day's equity (taken as the amount, a slight
 * overestimate as the day's gain is left out), and the performance fee on what is above the
 * mark after both — the same functions the engine charges with.
 */
export function workedFeeExample(input: {
  amount: Decimal.Value;
  gainPct: Decimal.Value;
  days: number;
  performanceFeePct: Decimal.Value;
  managementFeePctYear: Decimal.Value;
  platformFeeBps: Decimal.Value;
}): { platform: Decimal; management: Decimal; performance: Decimal; total: Decimal } {
  const amount = D(input.amount);
  const platform = platformFee({ qty: 1, price: amount, multiplier: 1, bps: input.platformFeeBps });
  let accrued = ZERO;
  for (let i = 0; i < input.days; i++)
    accrued = accrued.plus(
      managementAccrual({ equity: amount, pctYear: input.managementFeePctYear }),
    );
  const equity = amount.times(D(100).plus(input.gainPct)).div(100).minus(platform);
  const s = settleFeePeriod({
    equity,
    highWaterMark: amount,
    accrued,
    performancePct: input.performanceFeePct,
  });
  return {
    platform,
    management: s.management,
    performance: s.performance,
    total: platform.plus(s.management).plus(s.performance),
  };
}

/** Ledger accounts of fees: the platform's share of leader fees, a follower's fees owed. */
export const platformShareAccount = () => "platform:fee-share";
export const feesReceivable = (brokerAccountId: string) =>
  `account:${brokerAccountId}:fees-receivable`;

/** 00:00 UTC on the first day of the period containing `at`. */
export function periodStart(at: Date, period: FeePeriod): Date {
  const m = at.getUTCMonth();
  return new Date(Date.UTC(at.getUTCFullYear(), period === "month" ? m : m - (m % 3), 1));
}

/** The 00:00 UTC that ends the period containing `at` (and starts the next). */
export function nextPeriodStart(at: Date, period: FeePeriod): Date {
  const s = periodStart(at, period);
  return new Date(Date.UTC(s.getUTCFullYear(), s.getUTCMonth() + (period === "month" ? 1 : 3), 1));
}
