/**
 * A copy's risk limits with every limit off (each field null, "no limit"), as the copy form and
 * the what-if settings take them: for tests whose subject is not the limits. Frozen, because
 * it is shared: a test that changes a limit spreads it into an object of its own.
 */
export const NO_LIMITS = Object.freeze({
  copyStopLossPct: null,
  maxSymbolExposure: null,
  maxOpenPositions: null,
  maxSlippageBps: null,
  dailyLossLimit: null,
});
