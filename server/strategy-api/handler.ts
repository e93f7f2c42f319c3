import "server-only";
import { randomUUID } from "node:crypto";
import { and, eq, lt, sql } from "drizzle-orm";
import type { RateLimiterPostgres } from "rate-limiter-flexible";
import type { Db } from "../../db/client";
import { apiIdempotency, apiKeys, apiNonces, auditLog, orders, users } from "../../db/schema";
import { placeOrderInput } from "../api/routers/leader-console";
import { inRequestTx } from "../api/routers/request-tx";
import { clientInfo, type ClientInfo } from "../auth/client-info";
import { postgresLimiter, RateLimited, take } from "../auth/rate-limits";
import { systemClock, type Clock } from "../domain/clock";
import { describeIssues, issuesByField } from "../domain/inputs";
import { DomainError } from "../domain/money";
import { CopyError } from "../engine/copies/intents";
import { placeManualOrder } from "../engine/execute/manual-orders";
import { engineDepsForWeb } from "../engine/web-deps";
import { logger } from "../logger";
import { leaderConsole, leaderForUser } from "../queries/leader-console";
import type { SecretBox } from "../secrets/secret-box";
import { keyForRequest } from "./keys";
import { bodyHash, HEADERS, signatureMatches, stringToSign } from "./signing";

/**
 * The signed strategy API (docs/adr/0055, docs/openapi/strategy-api.yaml) as a plain
 * `Request → Response` function: the Next route handler (app/api/v1/[...path]) and the tests'
 * HTTP server call the same one. Every request is authenticated in this order — headers
 * present and well formed, key known and live, signature, clock window, nonce unused, the
 * key's rate limit, the route's scope — and refused in words naming the header or field.
 * Orders go through placeManualOrder, the leader's trade ticket's own path: an intent the
 * worker executes.
 */

export type StrategyApiOptions = {
  db: Db;
  clock?: Clock;
  box?: SecretBox;
  /** How far a request's Tandem-Timestamp may be from the server's clock, in seconds. */
  windowSeconds?: number;
  /** Requests per key per window (TANDEM_API_REQUESTS_PER_MINUTE, 120 a minute by default). */
  rateLimit?: { points: number; duration: number };
};

export const DEFAULT_WINDOW_SECONDS = 30;
const MAX_BODY_BYTES = 16 * 1024;
const ORDER_FIELDS = ["symbol", "side", "qty", "type", "limitPrice"] as const;

type Scope = "trade" | "read";
type Route =
  | { name: "createOrder"; scope: Scope }
  | { name: "getOrder"; scope: Scope; id: string }
  | { name: "positions"; scope: Scope }
  | { name: "account"; scope: Scope };

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: {
      field?: string;
      fieldErrors?: Record<string, string[]>;
      retryAfter?: number;
    } = {},
  ) {
    super(message);
  }
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      "content-type": "application/json; charset=utf-8",
      "cache-control": "no-store",
      ...headers,
    },
  });
}

function errorResponse(e: ApiError): Response {
  const headers: Record<string, string> = {};
  if (e.extra.retryAfter) headers["Retry-After"] = String(e.extra.retryAfter);
  if (e.status === 401) headers["WWW-Authenticate"] = 'Tandem-HMAC-SHA256 realm="strategy-api"';
  return json(
    e.status,
    {
      error: {
        code: e.code,
        message: e.message,
        ...(e.extra.field ? { field: e.extra.field } : {}),
        ...(e.extra.fieldErrors ? { fieldErrors: e.extra.fieldErrors } : {}),
      },
    },
    headers,
  );
}

function route(method: string, pathname: string): Route | ApiError {
  const p = pathname.replace(/\/+$/, "");
  const m = /^\/api\/v1\/(orders|positions|account)(?:\/([^/]+))?$/.exec(p);
  if (!m) return new ApiError(404, "NOT_FOUND", `No such endpoint: ${method} ${pathname}.`);
  const [, what, id] = m;
  const allow = (want: string, r: Route) =>
    method === want
      ? r
      : new ApiError(405, "METHOD_NOT_ALLOWED", `${pathname} answers ${want} only.`);
  if (what === "orders" && !id) return allow("POST", { name: "createOrder", scope: "trade" });
  if (what === "orders" && id) return allow("GET", { name: "getOrder", scope: "read", id });
  if (!id && what === "positions") return allow("GET", { name: "positions", scope: "read" });
  if (!id && what === "account") return allow("GET", { name: "account", scope: "read" });
  return new ApiError(404, "NOT_FOUND", `No such endpoint: ${method} ${pathname}.`);
}

const missing = (h: string) =>
  new ApiError(401, "MISSING_HEADER", `${h}: this header is required on every request.`, {
    field: h,
  });

export function createStrategyApi(opts: StrategyApiOptions): (req: Request) => Promise<Response> {
  const clock = opts.clock ?? systemClock;
  const windowS = opts.windowSeconds ?? DEFAULT_WINDOW_SECONDS;
  const rate = opts.rateLimit ?? {
    points: Number(process.env.TANDEM_API_REQUESTS_PER_MINUTE ?? 120) || 120,
    duration: 60,
  };
  let limiter: RateLimiterPostgres | null = null;
  const db = opts.db;

  type Key = NonNullable<Awaited<ReturnType<typeof keyForRequest>>>;

  async function refuse(key: Key, e: ApiError, req: Request, path: string, client: ClientInfo) {
    // Refusals of a known key are security events its owner and support must be able to see.
    await db.insert(auditLog).values({
      actorUserId: key.userId,
      action: "api_key.refused",
      targetType: "api_key",
      targetId: key.id,
      details: { keyId: key.keyId, reason: e.code, status: e.status, method: req.method, path },
      ip: client.ip,
      userAgent: client.userAgent,
      at: clock.now(),
    });
    return e;
  }

  async function authenticate(
    req: Request,
    pathWithQuery: string,
    body: Uint8Array,
    r: Route,
    client: ClientInfo,
  ): Promise<Key> {
    const h = (name: string) => req.headers.get(name)?.trim() ?? "";
    const keyId = h(HEADERS.key);
    const ts = h(HEADERS.timestamp);
    const nonce = h(HEADERS.nonce);
    const signature = h(HEADERS.signature);
    if (!keyId) throw missing(HEADERS.key);
    if (!ts) throw missing(HEADERS.timestamp);
    if (!nonce) throw missing(HEADERS.nonce);
    if (!signature) throw missing(HEADERS.signature);
    if (!/^\d{1,12}$/.test(ts))
      throw new ApiError(
        401,
        "BAD_TIMESTAMP",
        `${HEADERS.timestamp}: whole seconds since 1970-01-01 UTC, like ${Math.floor(clock.now().getTime() / 1000)}.`,
        { field: HEADERS.timestamp },
      );
    if (!/^[A-Za-z0-9_-]{16,64}$/.test(nonce))
      throw new ApiError(
        401,
        "BAD_NONCE",
        `${HEADERS.nonce}: 16 to 64 letters, digits, '-' or '_', new for every request (a random UUID will do).`,
        { field: HEADERS.nonce },
      );
    const key = /^tk_[A-Za-z0-9_-]{1,40}$/.test(keyId)
      ? await keyForRequest(db, keyId, opts.box)
      : null;
    if (!key) {
      logger.warn({ keyId: keyId.slice(0, 40), ip: client.ip }, "strategy API: unknown key");
      throw new ApiError(401, "UNKNOWN_KEY", `${HEADERS.key}: no such API key.`, {
        field: HEADERS.key,
      });
    }
    if (key.revokedAt)
      throw await refuse(
        key,
        new ApiError(
          401,
          "KEY_REVOKED",
          `${HEADERS.key}: this API key was revoked; create a new one in the leader console.`,
          {
            field: HEADERS.key,
          },
        ),
        req,
        pathWithQuery,
        client,
      );
    const canonical = stringToSign({
      method: req.method,
      pathWithQuery,
      timestamp: ts,
      nonce,
      body,
    });
    if (!signatureMatches(key.secret, canonical, signature))
      throw await refuse(
        key,
        new ApiError(
          401,
          "BAD_SIGNATURE",
          `${HEADERS.signature}: does not match this request. Sign the method, the path with its query, ${HEADERS.timestamp}, ${HEADERS.nonce} and the SHA-256 of the exact body bytes with the key's secret.`,
          { field: HEADERS.signature },
        ),
        req,
        pathWithQuery,
        client,
      );
    const now = clock.now();
    const skew = Math.round(now.getTime() / 1000 - Number(ts));
    if (Math.abs(skew) > windowS)
      throw await refuse(
        key,
        new ApiError(
          401,
          "STALE_TIMESTAMP",
          `${HEADERS.timestamp}: ${Math.abs(skew)} s ${skew > 0 ? "behind" : "ahead of"} the server's clock (${now.toISOString()}); a request must be signed within ${windowS} s of it. Check the clock of the machine that signs.`,
          { field: HEADERS.timestamp },
        ),
        req,
        pathWithQuery,
        client,
      );
    // Past twice the window a nonce can only come with a stale timestamp, which is refused above.
    await db
      .delete(apiNonces)
      .where(lt(apiNonces.seenAt, new Date(now.getTime() - 2 * windowS * 1000)));
    const fresh = await db
      .insert(apiNonces)
      .values({ apiKeyId: key.id, nonce, seenAt: now })
      .onConflictDoNothing()
      .returning({ nonce: apiNonces.nonce });
    if (fresh.length === 0)
      throw await refuse(
        key,
        new ApiError(
          409,
          "REPLAYED",
          `${HEADERS.nonce}: this nonce was already used with this key. Every request, a retry too, is signed anew with a new nonce.`,
          { field: HEADERS.nonce },
        ),
        req,
        pathWithQuery,
        client,
      );
    limiter ??= postgresLimiter(db, { keyPrefix: "api_key", ...rate });
    try {
      await take(limiter, key.id, "requests with this API key");
    } catch (err) {
      if (!(err instanceof RateLimited)) throw err;
      throw await refuse(
        key,
        new ApiError(429, "RATE_LIMITED", err.message, { retryAfter: err.retryAfterSeconds }),
        req,
        pathWithQuery,
        client,
      );
    }
    if (!(key.scopes as string[]).includes(r.scope))
      throw await refuse(
        key,
        new ApiError(
          403,
          "SCOPE",
          `${HEADERS.key}: this key does not have the '${r.scope}' scope (it has: ${key.scopes.join(", ")}).`,
          {
            field: HEADERS.key,
          },
        ),
        req,
        pathWithQuery,
        client,
      );
    const [u] = await db.select({ role: users.role }).from(users).where(eq(users.id, key.userId));
    if (u?.role !== "leader")
      throw await refuse(
        key,
        new ApiError(
          403,
          "NOT_A_LEADER",
          "This key's account is no longer a leader, so it cannot use the strategy API.",
        ),
        req,
        pathWithQuery,
        client,
      );
    await db.update(apiKeys).set({ lastUsedAt: now }).where(eq(apiKeys.id, key.id));
    return key;
  }

  async function createOrder(key: Key, req: Request, body: Uint8Array, client: ClientInfo) {
    const text = new TextDecoder().decode(body);
    let input: unknown;
    try {
      input = JSON.parse(text);
    } catch {
      throw new ApiError(
        422,
        "INVALID_BODY",
        'body: send the order as JSON, like {"symbol":"AAPL","side":"buy","qty":"10","type":"market"}.',
        {
          field: "body",
        },
      );
    }
    if (!input || typeof input !== "object" || Array.isArray(input))
      throw new ApiError(422, "INVALID_BODY", "body: an order is a JSON object.", {
        field: "body",
      });
    // An unknown field is refused, not ignored: a misspelt "limit_price" must not become a market order.
    const unknown = Object.keys(input).filter(
      (k) => !(ORDER_FIELDS as readonly string[]).includes(k),
    );
    if (unknown.length)
      throw new ApiError(
        422,
        "INVALID_FIELD",
        `${unknown[0]}: not a field of an order (fields: ${ORDER_FIELDS.join(", ")}).`,
        {
          field: unknown[0],
        },
      );
    const parsed = await placeOrderInput.safeParseAsync(input);
    if (!parsed.success)
      throw new ApiError(422, "INVALID_FIELD", describeIssues(parsed.error.issues), {
        field: String(parsed.error.issues[0]?.path[0] ?? "body"),
        fieldErrors: issuesByField(parsed.error.issues),
      });
    const order = parsed.data;
    const idem = req.headers.get(HEADERS.idempotency)?.trim();
    if (idem !== undefined && !/^[\x21-\x7e]{1,100}$/.test(idem))
      throw new ApiError(
        422,
        "INVALID_HEADER",
        `${HEADERS.idempotency}: 1 to 100 visible ASCII characters, like a UUID.`,
        {
          field: HEADERS.idempotency,
        },
      );
    const hash = bodyHash(body);
    return inRequestTx({ db, client }, async (tx) => {
      const leader = await leaderForUser(tx, key.userId);
      if (!leader)
        throw new ApiError(403, "NOT_A_LEADER", "This key's account has no leader profile.");
      if (order.type === "limit" && !leader.apiLimitOrders)
        throw new ApiError(
          422,
          "ORDER_TYPE_NOT_ALLOWED",
          "type: limit orders through the API are off for this leader; turn them on in the leader console (API keys) or send a market order.",
          { field: "type" },
        );
      if (idem) {
        // The claim and the order commit together; a concurrent retry waits on this row's
        // primary key and then finds the order, so one key can never make two orders.
        const claimed = await tx
          .insert(apiIdempotency)
          .values({
            apiKeyId: key.id,
            idempotencyKey: idem,
            bodyHash: hash,
            createdAt: clock.now(),
          })
          .onConflictDoNothing()
          .returning({ key: apiIdempotency.idempotencyKey });
        if (claimed.length === 0) {
          const [prior] = await tx
            .select()
            .from(apiIdempotency)
            .where(
              and(eq(apiIdempotency.apiKeyId, key.id), eq(apiIdempotency.idempotencyKey, idem)),
            );
          if (!prior || prior.bodyHash !== hash || !prior.orderId)
            throw new ApiError(
              422,
              "IDEMPOTENCY_MISMATCH",
              `${HEADERS.idempotency}: this key was already used for a different order body. Use a new ${HEADERS.idempotency} for a new order.`,
              { field: HEADERS.idempotency },
            );
          return { status: 200, order: await orderView(tx, prior.orderId), replayed: true };
        }
      }
      const placed = await placeManualOrder(
        { ...engineDepsForWeb(tx), clock },
        {
          brokerAccountId: leader.brokerAccountId,
          userId: key.userId,
          symbol: order.symbol,
          side: order.side,
          type: order.type,
          qty: order.qty,
          limitPrice: order.type === "limit" ? order.limitPrice : undefined,
        },
      );
      if (idem)
        await tx
          .update(apiIdempotency)
          .set({ orderId: placed.orderId })
          .where(and(eq(apiIdempotency.apiKeyId, key.id), eq(apiIdempotency.idempotencyKey, idem)));
      await tx.insert(auditLog).values({
        actorUserId: key.userId,
        action: "api.order_place",
        targetType: "order",
        targetId: placed.orderId,
        details: { keyId: key.keyId, idempotencyKey: idem ?? null },
        at: clock.now(),
      });
      return { status: 201, order: await orderView(tx, placed.orderId), replayed: false };
    });
  }

  async function orderView(tx: Db, id: string) {
    const [o] = await tx.select().from(orders).where(eq(orders.id, id));
    if (!o) throw new ApiError(404, "NOT_FOUND", "No such order.");
    return publicOrder(o);
  }

  async function getOrder(key: Key, id: string) {
    const leader = await leaderForUser(db, key.userId);
    if (!leader || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id))
      throw new ApiError(404, "NOT_FOUND", "No such order.");
    // Scoped to the key's own leader account: another leader's order id is simply not found.
    const [o] = await db
      .select()
      .from(orders)
      .where(and(eq(orders.id, id), eq(orders.brokerAccountId, leader.brokerAccountId)));
    if (!o) throw new ApiError(404, "NOT_FOUND", "No such order.");
    return publicOrder(o);
  }

  async function consoleOf(key: Key) {
    const c = await leaderConsole(db, key.userId, clock.now());
    if (!c) throw new ApiError(403, "NOT_A_LEADER", "This key's account has no leader profile.");
    return c;
  }

  return async function handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const client = clientInfo(req.headers);
    try {
      const r = route(req.method, url.pathname);
      if (r instanceof ApiError) throw r;
      const declared = Number(req.headers.get("content-length") ?? 0);
      if (declared > MAX_BODY_BYTES)
        throw new ApiError(413, "BODY_TOO_LARGE", `body: at most ${MAX_BODY_BYTES} bytes.`, {
          field: "body",
        });
      const body = new Uint8Array(await req.arrayBuffer());
      if (body.byteLength > MAX_BODY_BYTES)
        throw new ApiError(413, "BODY_TOO_LARGE", `body: at most ${MAX_BODY_BYTES} bytes.`, {
          field: "body",
        });
      const key = await authenticate(req, url.pathname + url.search, body, r, client);
      switch (r.name) {
        case "createOrder": {
          const out = await createOrder(key, req, body, client);
          return json(out.status, out.order, out.replayed ? { "Idempotent-Replayed": "true" } : {});
        }
        case "getOrder":
          return json(200, await getOrder(key, r.id));
        case "positions": {
          const c = await consoleOf(key);
          return json(200, { positions: c.positions, asOf: c.asOf.toISOString() });
        }
        case "account": {
          const c = await consoleOf(key);
          return json(200, {
            leader: { id: c.leader.id, handle: c.leader.handle, displayName: c.leader.displayName },
            account: c.account,
            orderTypes: (await leaderForUser(db, key.userId))?.apiLimitOrders
              ? ["market", "limit"]
              : ["market"],
            openOrders: c.openOrders.length,
            followers: c.followerCount,
            asOf: c.asOf.toISOString(),
          });
        }
      }
    } catch (err) {
      return errorResponse(toApiError(err));
    }
  };
}

const ENGINE_STATUS: Record<string, number> = { NOT_FOUND: 404, INVALID_STATE: 409 };

/** Our own refusals keep their words; anything else is logged with an id and answered generically. */
function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof CopyError || err instanceof DomainError) {
    const field = /^([A-Za-z]+):/.exec(err.message)?.[1];
    return new ApiError(
      ENGINE_STATUS[err.code] ?? 422,
      err.code,
      err.message,
      field ? { field } : {},
    );
  }
  const errorId = randomUUID();
  logger.error({ errorId, err }, "unexpected error in the strategy API");
  return new ApiError(
    500,
    "INTERNAL",
    `Something went wrong on our side (error id ${errorId}). Please try again; if it keeps happening, contact support.`,
  );
}

function publicOrder(o: typeof orders.$inferSelect) {
  return {
    id: o.id,
    clientOrderId: o.clientOrderId,
    symbol: o.symbol,
    side: o.side,
    type: o.type,
    qty: o.qty,
    limitPrice: o.limitPrice,
    status: o.status,
    filledQty: o.filledQty,
    avgPrice: o.avgPrice,
    rejectReason: o.rejectReason,
    createdAt: o.createdAt.toISOString(),
    updatedAt: o.updatedAt.toISOString(),
  };
}

/** For tests and diagnostics: how many nonces are being held (they are pruned as requests come). */
export async function heldNonces(db: Db): Promise<number> {
  const [r] = await db.select({ n: sql<number>`count(*)::int` }).from(apiNonces);
  return r?.n ?? 0;
}
