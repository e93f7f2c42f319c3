import { DomainError } from "./money";

/** Time is injected so that replays run on simulated time and never sleep. */
export interface Clock {
  now(): Date;
}

/** The only place in the domain that reads the wall clock; everything else takes a Clock. */
export const systemClock: Clock = {
  now: () => new Date(),
};

function toDate(at: Date | string, what: string): Date {
  const d = typeof at === "string" ? new Date(at) : new Date(at.getTime());
  if (Number.isNaN(d.getTime())) {
    throw new DomainError("INVALID_DATE", `${what} is not a valid date: ${String(at)}`);
  }
  return d;
}

/**
 * A clock moved by hand. It refuses to go backwards: the engine derives ordering,
 * backoff deadlines and lease expiry from it, and a clock that rewinds would let an
 * expired lease look valid again.
 */
export class ManualClock implements Clock {
  private ms: number;

  constructor(start: Date | string = "2026-01-01T00:00:00Z") {
    this.ms = toDate(start, "start").getTime();
  }

  /** A fresh Date each time, so a caller mutating it cannot move the clock. */
  now(): Date {
    return new Date(this.ms);
  }

  set(at: Date | string): void {
    const next = toDate(at, "time").getTime();
    if (next < this.ms) {
      throw new DomainError(
        "CLOCK_BACKWARDS",
        `cannot set the clock back from ${new Date(this.ms).toISOString()} to ${new Date(next).toISOString()}`,
      );
    }
    this.ms = next;
  }

  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new DomainError(
        "CLOCK_BACKWARDS",
        `advance() needs a finite, non-negative duration, got ${ms}`,
      );
    }
    this.ms += ms;
  }
}
