import { Decimal } from "decimal.js";

/**
 * Sensible risk-limit defaults for a copy amount, pre-filled in the copy form (pure: the
 * form imports it in the browser too). Stop-loss 20 % of the amount, at most half the amount
 * in one instrument, ten open positions, 1 % slippage on opens, daily loss 10 % of the amount.
 */
export function defaultLimits(amount: string | null) {
  const ok = amount !== null && /^\d+(\.\d+)?$/.test(amount) && new Decimal(amount).gt(0);
  const a = ok ? new Decimal(amount) : null;
  const text = (d: Decimal) => {
    const s = d.toDecimalPlaces(2).toFixed();
    return s.includes(".") ? s.replace(/\.?0+$/, "") : s;
  };
  return {
    copyStopLossPct: "20" as string | null,
    maxSymbolExposure: a ? text(a.times("0.5")) : null,
    maxOpenPositions: 10 as number | null,
    maxSlippageBps: 100 as number | null,
    dailyLossLimit: a ? text(a.times("0.1")) : null,
  };
}
