import type { EngineDeps } from "../deps";

/**
 * Per-broker submission budget (token bucket on the engine's clock). Orders over the budget
 * simply wait for the next pass — backpressure instead of a burst the broker would refuse.
 * Each worker process keeps its own bucket, so the configured rate is per worker.
 */
const buckets = new WeakMap<EngineDeps, Map<string, { tokens: number; at: number }>>();

export function takeSubmitBudget(deps: EngineDeps, broker: string, wanted: number): number {
  const rate = deps.config.brokerOrdersPerSecond;
  if (!rate || rate <= 0) return wanted;
  const map = buckets.get(deps) ?? new Map();
  buckets.set(deps, map);
  const now = deps.clock.now().getTime();
  const b = map.get(broker) ?? { tokens: rate, at: now };
  b.tokens = Math.min(rate, b.tokens + (Math.max(0, now - b.at) / 1000) * rate);
  b.at = now;
  const granted = Math.min(wanted, Math.floor(b.tokens));
  b.tokens -= granted;
  map.set(broker, b);
  return granted;
}
