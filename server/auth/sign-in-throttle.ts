import type { RateLimiterPostgres } from "rate-limiter-flexible";
import { RateLimiterRes } from "rate-limiter-flexible";
import type { Db } from "../../db/client";
import { postgresLimiter, RateLimited, waitInWords } from "./rate-limits";

/**
 * Sign-in slows down instead of locking out (docs/adr/0011).
 *
 * Each key has a free allowance of attempts per window. Past it, the k-th extra attempt is
 * due only at window start + d(1) + … + d(k), where d doubles from a base up to a cap, so
 * every attempt the key gets evaluated makes the next one wait twice as long. The attempt's
 * number comes from one atomic counter (an upsert in PostgreSQL), taken BEFORE the password
 * is looked at: thirty parallel guesses get thirty distinct numbers, and only those within
 * the allowance (or already due) are evaluated. An attempt refused as not yet due gives its
 * number back, so hammering never pushes the schedule out: only evaluated attempts do.
 *
 * Keys:
 *  - e-mail + address: the one a single attacker hits. Strict (5 free an hour, waits up to
 *    15 min), and it slows that attacker's address only, never the real user's.
 *  - address alone: a spray across many e-mails from one address (20 free an hour).
 *  - e-mail alone: guesses spread over many addresses. Generous (100 free an hour) and
 *    capped at one minute between attempts.
 * A successful sign-in clears the e-mail keys (only the owner can do that) and gives back
 * its own number on the address key (so a spray cannot be laundered through a good account).
 */
export type Tier = { free: number; windowSec: number; baseDelaySec: number; maxDelaySec: number };
export type ThrottleConfig = { emailIp: Tier; ip: Tier; email: Tier };

export const DEFAULT_THROTTLE: ThrottleConfig = {
  emailIp: { free: 5, windowSec: 3600, baseDelaySec: 5, maxDelaySec: 15 * 60 },
  ip: { free: 20, windowSec: 3600, baseDelaySec: 5, maxDelaySec: 15 * 60 },
  email: { free: 100, windowSec: 3600, baseDelaySec: 5, maxDelaySec: 60 },
};

type Counter = { tier: Tier; attempts: RateLimiterPostgres };

/** Seconds from window start until the k-th attempt past the allowance is due. */
export function dueAfterSec(tier: Tier, k: number): number {
  let total = 0;
  for (let i = 1; i <= k; i++)
    total += Math.min(tier.maxDelaySec, tier.baseDelaySec * 2 ** (i - 1));
  return total;
}

export class SignInThrottle {
  private readonly counters: Record<keyof ThrottleConfig, Counter>;

  constructor(db: Db, config: ThrottleConfig = DEFAULT_THROTTLE, prefix = "signin") {
    const counter = (name: keyof ThrottleConfig, suffix: string): Counter => ({
      tier: config[name],
      attempts: postgresLimiter(db, {
        keyPrefix: `${prefix}_${suffix}`,
        points: config[name].free,
        duration: config[name].windowSec,
      }),
    });
    this.counters = {
      emailIp: counter("emailIp", "email_ip"),
      ip: counter("ip", "ip"),
      email: counter("email", "email"),
    };
  }

  /** Takes an attempt number on one key; resolves if it may be evaluated, else RateLimited. */
  private async reserve(c: Counter, key: string): Promise<void> {
    let res: RateLimiterRes;
    try {
      res = await c.attempts.consume(key);
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      res = err;
    }
    const over = res.consumedPoints - c.tier.free;
    if (over <= 0) return;
    const now = Date.now();
    const windowStart = now + res.msBeforeNext - c.tier.windowSec * 1000;
    const due = windowStart + dueAfterSec(c.tier, over) * 1000;
    if (now >= due) return;
    // Give the number back; the wait we announce is for the number the next attempt will
    // draw (in a parallel burst, ours was inflated by attempts that are giving theirs back).
    const after = await c.attempts.reward(key, 1);
    const nextOver = Math.max(1, Math.min(over, after.consumedPoints + 1 - c.tier.free));
    const nextDue = windowStart + dueAfterSec(c.tier, nextOver) * 1000;
    const s = Math.max(1, Math.ceil((Math.min(due, nextDue) - now) / 1000));
    throw new RateLimited(`Too many sign-in attempts. Wait ${waitInWords(s)} and try again.`, s);
  }

  /**
   * Call before checking a password. Address first: a refused address never counts against
   * the e-mail. A refusal further down gives back the numbers already taken for this attempt.
   */
  async before(email: string, ip: string): Promise<void> {
    const order: [Counter, string][] = [
      [this.counters.ip, ip],
      [this.counters.emailIp, `${email}|${ip}`],
      [this.counters.email, email],
    ];
    const taken: [Counter, string][] = [];
    try {
      for (const [c, key] of order) {
        await this.reserve(c, key);
        taken.push([c, key]);
      }
    } catch (err) {
      if (err instanceof RateLimited)
        await Promise.all(taken.map(([c, key]) => c.attempts.reward(key, 1)));
      throw err;
    }
  }

  async succeeded(email: string, ip: string): Promise<void> {
    await Promise.all([
      this.counters.emailIp.attempts.delete(`${email}|${ip}`),
      this.counters.email.attempts.delete(email),
      this.counters.ip.attempts.reward(ip, 1),
    ]);
  }
}

const perDb = new WeakMap<object, SignInThrottle>();
export function signInThrottleFor(db: Db): SignInThrottle {
  let t = perDb.get(db);
  if (!t) {
    t = new SignInThrottle(db);
    perDb.set(db, t);
  }
  return t;
}
