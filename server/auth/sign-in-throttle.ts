import type { RateLimiterPostgres } from "rate-limiter-flexible";
import { RateLimiterRes } from "rate-limiter-flexible";
import type { Db } from "../../db/client";
import { postgresLimiter, RateLimited, secondsFrom, waitInWords } from "./rate-limits";

/**
 * Sign-in slows down instead of locking out (docs/adr/0011).
 *
 * Each key has a free allowance of attempts per window. Beyond it, one attempt is let through
 * per "gate" interval, and the interval doubles with every attempt over the allowance, up to a
 * cap. Points are taken BEFORE the password is checked, in one atomic statement, so thirty
 * parallel guesses can only ever get the allowance evaluated, never more.
 *
 * Keys:
 *  - e-mail + address: the one a single attacker hits. Strict (5 free, gates up to 15 min),
 *    and it slows that attacker's address only, never the real user's.
 *  - address alone: a spray across many e-mails from one address (20 free).
 *  - e-mail alone: guesses spread over many addresses. Generous (100 free per hour) and
 *    capped at one minute, so an attacker can at worst make the real user wait a minute.
 * A successful sign-in clears the e-mail keys (only the owner can do that) and gives back
 * its own point on the address key (so a spray cannot be laundered through one good account).
 */
export type Tier = { free: number; windowSec: number; baseDelaySec: number; maxDelaySec: number };
export type ThrottleConfig = { emailIp: Tier; ip: Tier; email: Tier };

export const DEFAULT_THROTTLE: ThrottleConfig = {
  emailIp: { free: 5, windowSec: 15 * 60, baseDelaySec: 5, maxDelaySec: 15 * 60 },
  ip: { free: 20, windowSec: 15 * 60, baseDelaySec: 5, maxDelaySec: 15 * 60 },
  email: { free: 100, windowSec: 60 * 60, baseDelaySec: 5, maxDelaySec: 60 },
};

type Pair = { tier: Tier; attempts: RateLimiterPostgres; gate: RateLimiterPostgres };

export class SignInThrottle {
  private readonly pairs: Record<keyof ThrottleConfig, Pair>;

  constructor(db: Db, config: ThrottleConfig = DEFAULT_THROTTLE, prefix = "signin") {
    const pair = (name: keyof ThrottleConfig, suffix: string): Pair => ({
      tier: config[name],
      attempts: postgresLimiter(db, {
        keyPrefix: `${prefix}_${suffix}`,
        points: config[name].free,
        duration: config[name].windowSec,
      }),
      // One attempt per gate interval; the interval is set per consume (customDuration).
      gate: postgresLimiter(db, { keyPrefix: `${prefix}_${suffix}_gate`, points: 1, duration: 1 }),
    });
    this.pairs = {
      emailIp: pair("emailIp", "email_ip"),
      ip: pair("ip", "ip"),
      email: pair("email", "email"),
    };
  }

  private delaySec(tier: Tier, over: number): number {
    return Math.min(tier.maxDelaySec, tier.baseDelaySec * 2 ** Math.max(0, over - 1));
  }

  /** Takes one attempt on one key; resolves when it may be evaluated, else throws RateLimited. */
  private async reserve(p: Pair, key: string): Promise<void> {
    let consumed: number;
    try {
      consumed = (await p.attempts.consume(key)).consumedPoints;
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      consumed = err.consumedPoints;
    }
    const over = consumed - p.tier.free;
    if (over < 0) return;
    if (over === 0) {
      // The last free attempt shuts the gate behind it, so the next one must wait the first
      // interval however fast it arrives.
      await p.gate.consume(key, 1, { customDuration: this.delaySec(p.tier, 1) }).catch(() => {});
      return;
    }
    try {
      await p.gate.consume(key, 1, { customDuration: this.delaySec(p.tier, over) });
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      const s = secondsFrom(err);
      throw new RateLimited(`Too many sign-in attempts. Wait ${waitInWords(s)} and try again.`, s);
    }
  }

  /**
   * Call before checking a password. Address first: a refused address never counts against
   * the e-mail.
   */
  async before(email: string, ip: string): Promise<void> {
    await this.reserve(this.pairs.ip, ip);
    await this.reserve(this.pairs.emailIp, `${email}|${ip}`);
    await this.reserve(this.pairs.email, email);
  }

  async succeeded(email: string, ip: string): Promise<void> {
    await Promise.all([
      this.pairs.emailIp.attempts.delete(`${email}|${ip}`),
      this.pairs.emailIp.gate.delete(`${email}|${ip}`),
      this.pairs.email.attempts.delete(email),
      this.pairs.email.gate.delete(email),
      this.pairs.ip.attempts.reward(ip, 1),
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
