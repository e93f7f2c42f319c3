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
