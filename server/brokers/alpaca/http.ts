import { TokenBucket } from "limiter";
import {
  BrokerError,
  BrokerNotFoundError,
  BrokerRateLimitedError,
  BrokerRejectedError,
  BrokerTransientError,
  BrokerUnknownOutcomeError,
  type RejectReason,
} from "../types";

/**
 * HTTP to Alpaca's Trading API: one client per account (an API key is an account), its
 * request budget kept by a token bucket, every outcome mapped to the seam's typed errors.
 */

export type AlpacaCredentials = { keyId: string; secretKey: string };

export type RequestBudget = {
  /** Requests per minute (Alpaca: 200 per account). */
  perMinute: number;
  /** Largest burst; default perMinute. */
  burst?: number;
};

export type HttpOptions = {
  baseUrl: string;
  credentials: AlpacaCredentials;
  budget?: RequestBudget;
  /** Per request; a mutating request past it is an unknown outcome. Default 10 s. */
  timeoutMs?: number;
  /** GETs retried this many times after 429 / 5xx / network failure (default 3). */
  readRetries?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
};

export type HttpResult<T> = { status: number; body: T; headers: Headers };

/** Alpaca's refusal messages → our stable reasons. The message itself is always kept. */
const REASON_PATTERNS: Array<[RegExp, RejectReason]> = [
  [/INJECTED_REJECT/, "INJECTED_REJECT"],
  [/insufficient (buying power|balance|qty|funds)/i, "INSUFFICIENT_BUYING_POWER"],
  [/sub-penny|price increment|limit_price .*increment|tick size/i, "PRICE_OFF_TICK"],
  [/cost basis must be|notional must be|minimal amount of order/i, "BELOW_MIN_NOTIONAL"],
  [/qty must be >=|minimum order size|min(imum)? qty/i, "BELOW_MIN_QTY"],
  [/not fractionable|fractional .*not|multiple of|trade increment/i, "QTY_NOT_ON_STEP"],
  [/market is closed|not open|outside .*trading hours/i, "MARKET_CLOSED"],
  [
    /asset .*not found|could not find asset|unknown symbol|is not active|not tradable/i,
    "UNKNOWN_SYMBOL",
  ],
  [/no (available )?quote|no market data/i, "NO_QUOTE"],
  [/invalid|required|must be/i, "INVALID_ORDER"],
];

export function reasonFor(message: string): RejectReason {
  for (const [re, reason] of REASON_PATTERNS) if (re.test(message)) return reason;
  return "BROKER_REFUSED";
}

/** ms until the budget resets, from Retry-After or X-RateLimit-Reset (epoch seconds). */
export function retryAfterMs(headers: Headers, now: number): number {
  const ra = headers.get("retry-after");
  if (ra && /^\d+$/.test(ra.trim())) return Math.max(1, Number(ra) * 1000);
  const reset = headers.get("x-ratelimit-reset");
  if (reset && /^\d+$/.test(reset.trim())) return Math.max(1, Number(reset) * 1000 - now);
  return 1000;
}

function messageOf(body: unknown, fallback: string): string {
  if (
    body &&
    typeof body === "object" &&
    typeof (body as { message?: unknown }).message === "string"
  )
    return (body as { message: string }).message;
  if (typeof body === "string" && body.trim()) return body.trim().slice(0, 500);
  return fallback;
}

/** A network failure before any byte was sent (nothing can have happened). */
function failedBeforeSend(err: unknown): boolean {
  const code = (err as { cause?: { code?: string } }).cause?.code;
  return code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EAI_AGAIN";
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class AlpacaHttp {
  private readonly bucket: TokenBucket;
  private readonly opts: Required<Omit<HttpOptions, "budget">>;
  /** Set by a 429: no request leaves before this instant (the broker said so). */
  private blockedUntil = 0;

  constructor(opts: HttpOptions) {
    const perMinute = opts.budget?.perMinute ?? 200;
    this.bucket = new TokenBucket({
      bucketSize: opts.budget?.burst ?? perMinute,
      tokensPerInterval: perMinute,
      interval: "minute",
    });
    this.opts = {
      baseUrl: opts.baseUrl.replace(/\/$/, ""),
      credentials: opts.credentials,
      timeoutMs: opts.timeoutMs ?? 10_000,
      readRetries: opts.readRetries ?? 3,
      sleep: opts.sleep ?? realSleep,
      now: opts.now ?? Date.now,
    };
  }

  /** Tokens left in this account's budget (for backpressure: pause new opens, not closes). */
  get budgetRemaining(): number {
    return this.bucket.content;
  }

  async get<T>(path: string, query?: Record<string, string | undefined>): Promise<HttpResult<T>> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.send<T>("GET", path, query);
      } catch (e) {
        // Reads are safe to repeat: retry what is transient, within a bound.
        const retryable =
          e instanceof BrokerRateLimitedError ||
          e instanceof BrokerTransientError ||
          e instanceof BrokerUnknownOutcomeError;
        if (!retryable || attempt >= this.opts.readRetries) throw e;
        const wait =
          e instanceof BrokerRateLimitedError
            ? e.retryAfterMs
            : Math.min(2000, 100 * 2 ** attempt) * (0.5 + Math.random() / 2);
        await this.opts.sleep(wait);
      }
    }
  }

  /** POST/DELETE: never retried here — the caller decides with the outcome's kind. */
  send<T>(
    method: "GET" | "POST" | "DELETE" | "PATCH",
    path: string,
    query?: Record<string, string | undefined>,
    body?: unknown,
  ): Promise<HttpResult<T>> {
    return this.request<T>(method, path, query, body);
  }

  private async request<T>(
    method: string,
    path: string,
    query: Record<string, string | undefined> | undefined,
    body: unknown,
  ): Promise<HttpResult<T>> {
    const wait = this.blockedUntil - this.opts.now();
    if (wait > 0) await this.opts.sleep(wait);
    await this.bucket.removeTokens(1);
    const url = new URL(this.opts.baseUrl + path);
    for (const [k, v] of Object.entries(query ?? {}))
      if (v !== undefined) url.searchParams.set(k, v);
    const mutating = method !== "GET";
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: {
          "APCA-API-KEY-ID": this.opts.credentials.keyId,
          "APCA-API-SECRET-KEY": this.opts.credentials.secretKey,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
    } catch (e) {
      if (failedBeforeSend(e))
        throw new BrokerTransientError(`Alpaca unreachable (${method} ${path}): nothing was sent`);
      // Timeout or a connection lost after the request left: it may have taken effect.
      if (mutating)
        throw new BrokerUnknownOutcomeError(
          `Alpaca did not answer ${method} ${path} (${(e as Error).name}); outcome unknown`,
        );
      throw new BrokerTransientError(`Alpaca did not answer ${method} ${path}`);
    }
    const text = await res.text().catch(() => "");
    let parsed: unknown = text;
    if (text) {
      try {
        parsed = JSON.parse(text) as unknown;
      } catch {
        parsed = text;
      }
    }
    if (res.ok) return { status: res.status, body: parsed as T, headers: res.headers };
    throw this.errorFor(method, path, res.status, res.headers, parsed);
  }

  private errorFor(
    method: string,
    path: string,
    status: number,
    headers: Headers,
    body: unknown,
  ): BrokerError {
    const message = messageOf(body, `HTTP ${status}`);
    if (status === 429) {
      const ms = retryAfterMs(headers, this.opts.now());
      this.blockedUntil = Math.max(this.blockedUntil, this.opts.now() + ms);
      const limit = headers.get("x-ratelimit-limit");
      const remaining = headers.get("x-ratelimit-remaining");
      return new BrokerRateLimitedError(
        ms,
        `Alpaca rate limit (limit ${limit ?? "?"}, remaining ${remaining ?? "?"}); retry after ${ms} ms`,
      );
    }
    if (status === 404) return new BrokerNotFoundError(`Alpaca: ${message} (${method} ${path})`);
    if (status === 401)
      return new BrokerRejectedError("BROKER_REFUSED", `Alpaca refused the API key: ${message}`);
    if (status === 403 || status === 422 || status === 400)
      return new BrokerRejectedError(reasonFor(message), `Alpaca: ${message}`);
    if (status >= 500) {
      // The server answered that it failed. For an order the adapter confirms with a look-up
      // by client order id before calling it transient (AlpacaBroker.placeOrder).
      return new BrokerTransientError(`Alpaca ${status} on ${method} ${path}: ${message}`);
    }
    return new BrokerRejectedError("BROKER_REFUSED", `Alpaca ${status}: ${message}`);
  }
}
