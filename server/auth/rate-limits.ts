import { RateLimiterPostgres, RateLimiterRes } from "rate-limiter-flexible";
import type { Db, Sql } from "../../db/client";

/**
 * Abuse limits, counted in PostgreSQL by rate-limiter-flexible's RateLimiterPostgres so that
 * every web process shares one count (docs/adr/0011). Each limiter is a fixed window per key;
 * a consume is one atomic INSERT … ON CONFLICT DO UPDATE … RETURNING, so parallel requests
 * can never both take the last point.
 */

/**
 * RateLimiterPostgres speaks the `pg` driver's interface (query({ text, values }) resolving
 * to { rows, rowCount }). Our pool is postgres.js, so this adapter lends it that interface
 * instead of opening a second pool: the limiter's statements are plain parameterized SQL.
 * `expire` is a bigint, which postgres.js returns as a string; the library does arithmetic
 * on it, so it comes back as a number (epoch milliseconds fit exactly in a double).
 */
export function pgCompatible(sql: Sql) {
  return {
    async query(q: { text: string; values?: unknown[] }) {
      const rows = await sql.unsafe(q.text, (q.values ?? []) as never[]);
      return {
        rows: rows.map((r) =>
          r.expire === undefined || r.expire === null ? r : { ...r, expire: Number(r.expire) },
        ),
        rowCount: rows.count ?? rows.length,
      };
    },
  };
}

export const RATE_LIMIT_TABLE = "rate_limits";

/** The postgres.js client behind a Drizzle handle (drizzle keeps it as `$client`). */
function sqlOf(db: Db): Sql {
  const client = (db as unknown as { $client?: Sql }).$client;
  if (!client) throw new Error("rate limits need the top-level database handle, not a transaction");
  return client;
}

export function postgresLimiter(
  db: Db,
  opts: { keyPrefix: string; points: number; duration: number },
): RateLimiterPostgres {
  return new RateLimiterPostgres({
    storeClient: pgCompatible(sqlOf(db)),
    storeType: "pool",
    tableName: RATE_LIMIT_TABLE,
    // The table comes from our migrations; the app never creates tables at run time.
    tableCreated: true,
    // One timer per process is enough to sweep old rows; the sign-in limiter owns it.
    clearExpiredByTimeout: opts.keyPrefix === "signin_ip",
    ...opts,
  });
}

/** What a refused request is told: a sentence and how long to wait, in whole seconds. */
export class RateLimited extends Error {
  constructor(
    message: string,
    public readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

export function waitInWords(seconds: number): string {
  if (seconds < 60) return `${seconds} second${seconds === 1 ? "" : "s"}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? "" : "s"}`;
}

export function secondsFrom(res: RateLimiterRes): number {
  return Math.max(1, Math.ceil(res.msBeforeNext / 1000));
}

/**
 * Takes one point, or throws RateLimited. A store failure is not a refusal: it propagates as
 * the error it is.
 */
export async function take(limiter: RateLimiterPostgres, key: string, what: string): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (err) {
    if (err instanceof RateLimiterRes) {
      const s = secondsFrom(err);
      throw new RateLimited(`Too many ${what}. Try again in ${waitInWords(s)}.`, s);
    }
    throw err;
  }
}

/**
 * The limits on tRPC mutations: per signed-in user and per client address, a general budget
 * for every mutation and tighter ones where abuse costs most (sign-ups open a funded paper
 * account; the trade ticket sends orders). Numbers are per window of `duration` seconds.
 */
export const MUTATION_POLICY = {
  any: { user: { points: 60, duration: 60 }, ip: { points: 300, duration: 60 } },
  // TANDEM_SIGNUPS_PER_HOUR: an operator's setting (a campus behind one address may need
  // more); the end-to-end server raises it, its journeys sign up dozens of people from 127.0.0.1.
  "auth.signUp": {
    ip: { points: Number(process.env.TANDEM_SIGNUPS_PER_HOUR ?? 10) || 10, duration: 3600 },
  },
  "leaderConsole.placeOrder": {
    user: { points: 20, duration: 60 },
    ip: { points: 60, duration: 60 },
  },
  // A follower's own trades: the same tighter limit as the leader's ticket.
  "portfolio.placeOrder": {
    user: { points: 20, duration: 60 },
    ip: { points: 60, duration: 60 },
  },
} as const satisfies Record<
  string,
  {
    user?: { points: number; duration: number };
    ip?: { points: number; duration: number };
  }
>;

const WORDS: Record<string, string> = {
  any: "requests",
  "auth.signUp": "sign-ups from this network",
  "leaderConsole.placeOrder": "orders",
  "portfolio.placeOrder": "orders",
};

export type MutationLimits = {
  check(input: { path: string; userId: string | null; ip: string | null }): Promise<void>;
};

/** No limits at all: for tests that exercise validation thousands of times. */
export const noMutationLimits: MutationLimits = { check: async () => {} };

export function mutationLimits(db: Db): MutationLimits {
  const limiters = new Map<string, RateLimiterPostgres>();
  const limiter = (name: string, who: "user" | "ip", cfg: { points: number; duration: number }) => {
    const keyPrefix = `mut_${who}_${name}`;
    let l = limiters.get(keyPrefix);
    if (!l) {
      l = postgresLimiter(db, { keyPrefix, ...cfg });
      limiters.set(keyPrefix, l);
    }
    return l;
  };
  return {
    async check({ path, userId, ip }) {
      const names = ["any", ...(path in MUTATION_POLICY && path !== "any" ? [path] : [])];
      for (const name of names) {
        const p = MUTATION_POLICY[name as keyof typeof MUTATION_POLICY] as {
          user?: { points: number; duration: number };
          ip?: { points: number; duration: number };
        };
        const what = WORDS[name] ?? "requests";
        if (p.user && userId) await take(limiter(name, "user", p.user), userId, what);
        if (p.ip && ip && ip !== "unknown") await take(limiter(name, "ip", p.ip), ip, what);
      }
    },
  };
}

/** One set of limiters per database handle (web processes have one; each test file its own). */
const perDb = new WeakMap<object, MutationLimits>();
export function mutationLimitsFor(db: Db): MutationLimits {
  let m = perDb.get(db);
  if (!m) {
    m = mutationLimits(db);
    perDb.set(db, m);
  }
  return m;
}

/**
 * For tRPC's responseMeta: a 429 carries Retry-After (the longest wait among the refusals in
 * a batch), so well-behaved clients and proxies know when to come back.
 */
export function retryAfterHeaders(errors: readonly { cause?: unknown }[]): Record<string, string> {
  let max = 0;
  for (const e of errors)
    if (e.cause instanceof RateLimited) max = Math.max(max, e.cause.retryAfterSeconds);
  return max > 0 ? { "Retry-After": String(max) } : {};
}
