import { createRng, type Rng } from "../../domain/random";

/**
 * Fault injection for the paper broker: seeded, deterministic, per account, and persisted
 * (paper_accounts.fault_state) so a restarted broker continues the same fault sequence.
 *
 * Every random draw comes from `createRng(key).fork(label)` where the label is a counter
 * (`call:<n>`) or the event seq (`event:<seq>`). Draws therefore depend only on the seed,
 * the account and how many calls/events came before — never on the configured
 * probabilities — so changing one probability does not reshuffle the others.
 */

export const FAULT_KINDS = [
  "error_before_accept",
  "timeout_after_accept",
  "reject",
  "rate_limited",
  "duplicate_events",
  "drop_events",
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Faults that hit a placeOrder call (never cancel or reads). */
export type SubmissionFault =
  "error_before_accept" | "timeout_after_accept" | "reject" | "rate_limited";

export type FaultConfig = {
  /** Defaults to the broker's seed. */
  seed?: number | string;
  /** Simulated latency per placeOrder/cancelOrder, uniform in [min, max] ms. */
  latencyMs?: [number, number];
  errorBeforeAccept?: number;
  timeoutAfterAccept?: number;
  reject?: number;
  rateLimit?: number;
  dropEvents?: number;
  duplicateEvents?: number;
  /** The event (and the stream behind it) becomes readable only after N later events exist, N uniform in delayEventsBy (default [1, 3]). */
  delayEvents?: number;
  delayEventsBy?: [number, number];
  /** The event is delivered right after the next one (a delay of exactly one event). */
  reorderEvents?: number;
  /** Retry-After of injected 429s; default 1000 ms. */
  rateLimitRetryAfterMs?: number;
};

/** What is persisted in paper_accounts.fault_state. */
export type FaultState = {
  /** One-shot faults queued by injectFault, consumed in a fixed order. */
  queued: Partial<Record<FaultKind, number>>;
  /** placeOrder/cancelOrder calls drawn so far (the label of the next draw). */
  calls: number;
};

export function parseFaultState(raw: Record<string, unknown> | null | undefined): FaultState {
  const queued = (raw?.queued ?? {}) as FaultState["queued"];
  const calls = typeof raw?.calls === "number" ? raw.calls : 0;
  return { queued: { ...queued }, calls };
}

export function queueFault(state: FaultState, kind: FaultKind, count: number): FaultState {
  if (!FAULT_KINDS.includes(kind)) throw new Error(`unknown fault kind: ${String(kind)}`);
  if (!Number.isInteger(count) || count < 0)
    throw new Error(`fault count must be a non-negative integer, got ${count}`);
  return { ...state, queued: { ...state.queued, [kind]: (state.queued[kind] ?? 0) + count } };
}

function takeQueued(state: FaultState, kind: FaultKind): boolean {
  const n = state.queued[kind] ?? 0;
  if (n <= 0) return false;
  state.queued[kind] = n - 1;
  return true;
}

function rngFor(seed: number | string, accountId: string, config: FaultConfig, label: string): Rng {
  return createRng(`${String(config.seed ?? seed)}|${accountId}`).fork(label);
}

function hasCallProbabilities(c: FaultConfig): boolean {
  return !!(c.rateLimit || c.errorBeforeAccept || c.reject || c.timeoutAfterAccept);
}

export type CallDecision = {
  latencyMs: number;
  /** Only ever set for placeOrder calls. */
  fault: SubmissionFault | null;
};

// Queued faults win over probabilistic ones; among queued kinds this order decides.
const SUBMISSION_ORDER: SubmissionFault[] = [
  "rate_limited",
  "error_before_accept",
  "reject",
  "timeout_after_accept",
];

/**
 * Decides latency and (for placeOrder) the fault of one call. Mutates `state` (the caller
 * persists it in the same transaction as the rest of the call).
 */
export function decideCall(
  state: FaultState,
  config: FaultConfig,
  seed: number | string,
  accountId: string,
  isSubmission: boolean,
): CallDecision {
  const label = `call:${state.calls}`;
  state.calls += 1;
  const [lo, hi] = config.latencyMs ?? [0, 0];
  // With no latency range and no probability, no draw can change the answer: skip making
  // the generator (a hash and 20 draws per order, a tenth of a batch placement's CPU). The
  // draws are labelled, not sequential, so skipping them shifts nothing for later calls.
  if (hi <= lo && !hasCallProbabilities(config)) {
    if (!isSubmission) return { latencyMs: lo, fault: null };
    for (const kind of SUBMISSION_ORDER)
      if (takeQueued(state, kind)) return { latencyMs: lo, fault: kind };
    return { latencyMs: lo, fault: null };
  }
  const rng = rngFor(seed, accountId, config, label);
  // A fixed number of draws per call, whatever the config, keeps the streams aligned.
  const latencyU = rng.next();
  const probabilistic: Record<SubmissionFault, number> = {
    rate_limited: rng.next(),
    error_before_accept: rng.next(),
    reject: rng.next(),
    timeout_after_accept: rng.next(),
  };
  const latencyMs = hi > lo ? lo + Math.floor(latencyU * (hi - lo + 1)) : lo;
  if (!isSubmission) return { latencyMs, fault: null };

  for (const kind of SUBMISSION_ORDER)
    if (takeQueued(state, kind)) return { latencyMs, fault: kind };
  const p: Record<SubmissionFault, number> = {
    rate_limited: config.rateLimit ?? 0,
    error_before_accept: config.errorBeforeAccept ?? 0,
    reject: config.reject ?? 0,
    timeout_after_accept: config.timeoutAfterAccept ?? 0,
  };
  for (const kind of SUBMISSION_ORDER)
    if (probabilistic[kind] < p[kind]) return { latencyMs, fault: kind };
  return { latencyMs, fault: null };
}

export type EventDelivery = {
  dropped: boolean;
  copies: 1 | 2;
  /**
   * The stream is read in seq order and holds at the first event not yet deliverable, so a
   * delayed event (deliverAt = seq + N) holds back itself and everything after it until N
   * later events exist: the stream lags, but nothing arrives out of order and no cursor
   * skips it.
   */
  deliverAt: number;
  /** Reordered: delivered right after the next event (the pair is never split across pages). */
  swapWithNext: boolean;
};

/** Decides how the event with this seq will be delivered by readEvents. Mutates `state`. */
export function decideEventDelivery(
  state: FaultState,
  config: FaultConfig,
  seed: number | string,
  accountId: string,
  seq: number,
): EventDelivery {
  const normal: EventDelivery = { dropped: false, copies: 1, deliverAt: seq, swapWithNext: false };
  if (takeQueued(state, "drop_events")) return { ...normal, dropped: true };
  if (takeQueued(state, "duplicate_events")) return { ...normal, copies: 2 };

  // No probability configured: every draw below would be compared with 0 (skip making them).
  if (!config.dropEvents && !config.duplicateEvents && !config.delayEvents && !config.reorderEvents)
    return normal;
  const rng = rngFor(seed, accountId, config, `event:${seq}`);
  const uDrop = rng.next();
  const uDup = rng.next();
  const uDelay = rng.next();
  const uReorder = rng.next();
  const uDelayBy = rng.next();
  if (uDrop < (config.dropEvents ?? 0)) return { ...normal, dropped: true };
  if (uDup < (config.duplicateEvents ?? 0)) return { ...normal, copies: 2 };
  if (uDelay < (config.delayEvents ?? 0)) {
    const [lo, hi] = config.delayEventsBy ?? [1, 3];
    const by = Math.max(1, lo + Math.floor(uDelayBy * (Math.max(hi, lo) - lo + 1)));
    return { ...normal, deliverAt: seq + by };
  }
  if (uReorder < (config.reorderEvents ?? 0)) return { ...normal, swapWithNext: true };
  return normal;
}
