import type { Db } from "../../db/client";
import type { BrokerAdapter } from "../brokers/types";
import type { Clock } from "../domain/clock";
import type { Rng } from "../domain/random";

export type EngineLog = {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
};

export type EngineConfig = {
  /** First submission plus this many retries for transient errors. */
  maxSubmitAttempts: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Followers handled per fan-out transaction. */
  fanoutBatchSize: number;
  /** Lease time-to-live for per-leader processing. */
  leaseTtlMs: number;
  /**
   * Broker accounts worked on at once (submissions, event reads). Orders of one account stay
   * in order; 1 keeps a replay strictly sequential and so deterministic.
   */
  accountConcurrency: number;
  /**
   * Booking transactions run at once when one batch read returns many accounts' events
   * (book/broker-events-batch.ts), each over its own accounts. 1 keeps a replay's event
   * numbering deterministic; the worker's 2 lets PostgreSQL work on one part while Node
   * computes the other (ADR 0041, session 9 figures).
   */
  bookingConcurrency?: number;
  /** Fan-out batches of one leader fill run at once (replicate.ts); 1 in replays, as above. */
  fanoutConcurrency?: number;
  /**
   * Leaders replicated at once in one pass of the loop (pump.ts), each under its own lease
   * as if several workers had taken them; 1 in replays, so their order of work is fixed.
   */
  leaderConcurrency?: number;
  /**
   * Leader events replicated per leader in one pass of the loop (pump.ts); unset, all of
   * them. Under a backlog the worker then sends and books what it planned every few
   * events instead of planning hours of fills first (bench:load, ADR 0041 session 9).
   */
  replicateEventsPerPass?: number;
  /**
   * Whether the engine opens circuit breakers by itself (fill-rate and broker-failure
   * limits). Off in replays: a scenario describes a market, not an operator's limits.
   */
  autoBreakers: boolean;
  /** Submissions per second per broker (0 = unlimited); the rest wait their turn. */
  brokerOrdersPerSecond: number;
  /**
   * Orders claimed by one submission pass (execute/submit.ts); default 500. The worker claims
   * a whole large fan-out at once: at 500 a pass, 10 000 followers took twenty passes of
   * the loop, 4.0 s instead of 2.6 s (ADR 0041, session 9).
   */
  submitClaimLimit?: number;
  /** Broker batch calls in flight at once, each over its own accounts (execute/submit.ts). */
  submitConcurrency?: number;
  /** Orders per broker batch call (execute/submit.ts); default 2000, tuned in ADR 0041. */
  submitBatchSize?: number;
};

export const DEFAULT_CONFIG: EngineConfig = {
  maxSubmitAttempts: 6,
  backoffBaseMs: 200,
  backoffMaxMs: 30_000,
  fanoutBatchSize: 2000,
  leaseTtlMs: 30_000,
  accountConcurrency: 1,
  autoBreakers: false,
  brokerOrdersPerSecond: 0,
};

/** The worker's settings: accounts in parallel, bounded by the connection pool. */
export const WORKER_CONFIG: EngineConfig = {
  ...DEFAULT_CONFIG,
  accountConcurrency: 8,
  bookingConcurrency: 2,
  fanoutConcurrency: 2,
  leaderConcurrency: 4,
  replicateEventsPerPass: 2,
  submitClaimLimit: 20_000,
  submitConcurrency: 2,
  autoBreakers: true,
  brokerOrdersPerSecond: 20_000,
};

/**
 * Everything the engine touches from outside, injected: the database, the brokers by name,
 * the clock and the randomness. A replay passes a manual clock and a seeded RNG and gets
 * the same decisions, ids and report every time.
 */
export type EngineDeps = {
  db: Db;
  broker(name: string): BrokerAdapter;
  clock: Clock;
  rng: Rng;
  log: EngineLog;
  config: EngineConfig;
  /** Identifies this worker process in leases. */
  owner: string;
};

export const silentLog: EngineLog = { info() {}, warn() {}, error() {} };
