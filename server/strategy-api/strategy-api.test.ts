import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { and, eq, isNull, sql } from "drizzle-orm";
import { OpenAPIBackend } from "openapi-backend";
import addFormats from "ajv-formats";
import { createTestDb } from "../../test/db";
import { paperEngine } from "../engine/testing/test-world";
import {
  apiKeys,
  apiNonces,
  auditLog,
  copyDecisions,
  leaders,
  orders,
  users,
} from "../../db/schema";
import { PaperBroker } from "../brokers/paper";
import { ManualClock } from "../domain/clock";
import { startCopy } from "../engine/copies/intents";
import { openPaperAccount } from "../engine/copies/onboarding";
import { type EngineDeps } from "../engine/deps";
import { applyPaperTransfers } from "../engine/execute/transfers";
import { pump } from "../engine/pump";
import { engineDepsForWeb } from "../engine/web-deps";
import { keyId as boxKeyId, SecretBox } from "../secrets/secret-box";
import {
  send,
  signRequest,
  type Credentials,
  type SignedRequest,
} from "../../examples/strategy-client";
import { createApiKey, revokeApiKey, setApiLimitOrders } from "./keys";
import { serveStrategyApi } from "./node-server";

/**
 * The signed strategy API over real HTTP (node:http in front of the same handler the Next
 * route uses), on real PostgreSQL, signed by the example client, every answer checked against
 * docs/openapi/strategy-api.yaml.
 */
let t: Awaited<ReturnType<typeof createTestDb>>;
let api: { url: string; close(): Promise<void> };
let tight: { url: string; close(): Promise<void> };
let spec: OpenAPIBackend;
let deps: EngineDeps;
let paper: PaperBroker;
let leaderUserId: string;
let relationshipId: string;
const clock = new ManualClock(new Date("2026-03-03T15:00:00Z")); // a Tuesday, markets open
const k = randomBytes(32);
const box = new SecretBox({ id: boxKeyId(k), key: k });

async function newKey(
  scopes: ("trade" | "read")[],
  baseUrl = api.url,
): Promise<Credentials & { id: string }> {
  // Each test its own key; earlier ones are retired so the five-live-keys cap is not in the way.
  await t.db.update(apiKeys).set({ revokedAt: clock.now() }).where(isNull(apiKeys.revokedAt));
  const key = await t.db.transaction((tx) =>
    createApiKey(
      tx as never,
      { userId: leaderUserId, label: "bot", scopes, now: clock.now() },
      box,
    ),
  );
  return { baseUrl, keyId: key.keyId, secret: key.secret, id: key.id };
}

/** What the tests read from an answer (an order, or an error); the description checks the rest. */
type Answer = Record<string, unknown> & {
  id: string;
  status: string;
  error: { code: string; message: string; field?: string };
};

const now = () => Math.floor(clock.now().getTime() / 1000);

/** Sends, then checks the answer against the OpenAPI description (status, headers, body). */
async function call(r: SignedRequest) {
  const res = await send(r);
  const { pathname } = new URL(r.url);
  const op = spec.router.matchOperation({
    method: r.method.toLowerCase(),
    path: pathname,
    headers: {},
  });
  expect(op, `${r.method} ${pathname} is in the description`).toBeTruthy();
  const v = spec.validator.validateResponse(res.body, op!, res.status);
  expect(v.errors ?? [], `${r.method} ${pathname} ${res.status} matches the description`).toEqual(
    [],
  );
  if (res.status === 429) expect(res.headers.get("retry-after")).toMatch(/^\d+$/);
  return res as { status: number; body: Answer; headers: Headers };
}

const order = (o: Record<string, unknown> = {}) =>
  JSON.stringify({ symbol: "AAPL", side: "buy", qty: "10", type: "market", ...o });

const countOrders = async () =>
  (
    await t.db
      .select({ n: sql<number>`count(*)::int` })
      .from(orders)
      .where(eq(orders.origin, "manual"))
  )[0]!.n;

beforeAll(async () => {
  t = await createTestDb();
  ({ paper, deps } = await paperEngine(t.db, clock, "strategy-api", {
    symbol: "AAPL",
    bid: "199.99",
    ask: "200.01",
  }));
  const [lu] = await t.db
    .insert(users)
    .values({ email: "bot-leader@x.test", passwordHash: "!", displayName: "Bot", role: "leader" })
    .returning();
  leaderUserId = lu!.id;
  const leaderAccount = await openPaperAccount(t.db, lu!.id, "100000");
  const [leader] = await t.db
    .insert(leaders)
    .values({
      userId: lu!.id,
      handle: "bot",
      displayName: "Bot",
      brokerAccountId: leaderAccount,
      trackRecordStartedAt: clock.now(),
    })
    .returning();
  await t.db.execute(
    sql`insert into leader_books (leader_id, cash, updated_at) values (${leader!.id}, '100000', now())`,
  );
  const [fu] = await t.db
    .insert(users)
    .values({ email: "fan@x.test", passwordHash: "!", displayName: "Fan", role: "follower" })
    .returning();
  const followerAccount = await openPaperAccount(t.db, fu!.id, "20000");
  await applyPaperTransfers(deps, paper);
  relationshipId = await startCopy(
    { ...engineDepsForWeb(t.db), clock },
    {
      followerId: fu!.id,
      leaderId: leader!.id,
      brokerAccountId: followerAccount,
      sizing: { mode: "proportional", allocation: "10000" },
      agreementVersion: "t",
    },
  );
  spec = new OpenAPIBackend({
    definition: path.resolve(import.meta.dirname, "../../docs/openapi/strategy-api.yaml"),
    quick: true,
    strict: false,
    validate: true,
    ajvOpts: { strict: false, allErrors: true },
    customizeAjv: (ajv) => {
      addFormats(ajv as never);
      return ajv;
    },
  });
  await spec.init();
  api = await serveStrategyApi({ db: t.db, clock, box, rateLimit: { points: 1000, duration: 60 } });
  tight = await serveStrategyApi({ db: t.db, clock, box, rateLimit: { points: 3, duration: 60 } });
});
afterAll(async () => {
  await api?.close();
  await tight?.close();
  await t?.drop();
});

describe("signed strategy API", () => {
  it("accepts a good signature: the order is an intent on the ticket's path, readable back", async () => {
    const key = await newKey(["trade", "read"]);
    const before = await countOrders();
    const res = await call(
      signRequest(key, "POST", "/api/v1/orders", order(), { timestamp: now() }),
    );
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      symbol: "AAPL",
      side: "buy",
      qty: "10",
      type: "market",
      status: "pending_submit",
    });
    expect(await countOrders()).toBe(before + 1);
    const got = await call(
      signRequest(key, "GET", `/api/v1/orders/${res.body.id}`, "", { timestamp: now() }),
    );
    expect(got.status).toBe(200);
    expect(got.body.id).toBe(res.body.id);
    // The description is strict enough to fail a wrong body (the checks above are not vacuous).
    const op = spec.router.matchOperation({
      method: "get",
      path: `/api/v1/orders/${res.body.id}`,
      headers: {},
    });
    expect(
      spec.validator.validateResponse({ ...got.body, qty: 10 }, op!, 200).errors?.length,
    ).toBeGreaterThan(0);
    const audit = await t.db
      .select()
      .from(auditLog)
      .where(eq(auditLog.targetId, res.body.id as string));
    expect(audit.map((a) => a.action).sort()).toEqual(["api.order_place", "order.place"]);
    const [row] = await t.db.select().from(apiKeys).where(eq(apiKeys.keyId, key.keyId));
    expect(row!.lastUsedAt).not.toBeNull();
    // The secret is not kept readable: sealed, and bound to its row.
    expect(row!.sealedSecret).not.toContain(key.secret);
    const acct = await call(signRequest(key, "GET", "/api/v1/account", "", { timestamp: now() }));
    expect(acct.body).toMatchObject({ orderTypes: ["market"], followers: 1 });
    const pos = await call(signRequest(key, "GET", "/api/v1/positions", "", { timestamp: now() }));
    expect(pos.status).toBe(200);
  });

  it("refuses a replayed request (same nonce) and changes nothing", async () => {
    const key = await newKey(["trade"]);
    const signed = signRequest(key, "POST", "/api/v1/orders", order(), { timestamp: now() });
    expect((await call(signed)).status).toBe(201);
    const before = await countOrders();
    const again = await call(signed);
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: "REPLAYED", field: "Tandem-Nonce" });
    expect(again.body.error.message).toMatch(/^Tandem-Nonce: /);
    expect(await countOrders()).toBe(before);
    const refused = await t.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, "api_key.refused"), eq(auditLog.targetId, key.id)));
    expect(refused.map((r) => r.details.reason)).toEqual(["REPLAYED"]);
  });

  it("refuses a stale or future timestamp beyond 30 s, accepts one within", async () => {
    const key = await newKey(["read"]);
    const stale = await call(
      signRequest(key, "GET", "/api/v1/account", "", { timestamp: now() - 31 }),
    );
    expect(stale.status).toBe(401);
    expect(stale.body.error).toMatchObject({ code: "STALE_TIMESTAMP", field: "Tandem-Timestamp" });
    expect(stale.body.error.message).toMatch(/31 s behind the server's clock/);
    const ahead = await call(
      signRequest(key, "GET", "/api/v1/account", "", { timestamp: now() + 31 }),
    );
    expect(ahead.body.error.code).toBe("STALE_TIMESTAMP");
    const within = await call(
      signRequest(key, "GET", "/api/v1/account", "", { timestamp: now() - 29 }),
    );
    expect(within.status).toBe(200);
  });

  it("refuses a body that is not the one signed (wrong body hash), and a missing header by name", async () => {
    const key = await newKey(["trade"]);
    const signed = signRequest(key, "POST", "/api/v1/orders", order({ qty: "1" }), {
      timestamp: now(),
    });
    const before = await countOrders();
    const res = await call({ ...signed, body: order({ qty: "100" }) });
    expect(res.status).toBe(401);
    expect(res.body.error).toMatchObject({ code: "BAD_SIGNATURE", field: "Tandem-Signature" });
    const { ["Tandem-Nonce"]: _n, ...noNonce } = signed.headers;
    const missing = await call({ ...signed, headers: noNonce });
    expect(missing.status).toBe(401);
    expect(missing.body.error.message).toBe(
      "Tandem-Nonce: this header is required on every request.",
    );
    expect(await countOrders()).toBe(before);
  });

  it("refuses a revoked key, and audits the refusal", async () => {
    const key = await newKey(["read"]);
    expect(
      (await call(signRequest(key, "GET", "/api/v1/account", "", { timestamp: now() }))).status,
    ).toBe(200);
    await t.db.transaction((tx) => revokeApiKey(tx as never, { userId: leaderUserId, id: key.id }));
    const res = await call(signRequest(key, "GET", "/api/v1/account", "", { timestamp: now() }));
    expect(res.status).toBe(401);
    expect(res.body.error).toMatchObject({ code: "KEY_REVOKED", field: "Tandem-Key" });
    const rows = await t.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.targetId, key.id)));
    expect(rows.map((r) => r.action).sort()).toEqual([
      "api_key.create",
      "api_key.refused",
      "api_key.revoke",
    ]);
  });

  it("a read-scope key cannot trade", async () => {
    const key = await newKey(["read"]);
    const before = await countOrders();
    const res = await call(
      signRequest(key, "POST", "/api/v1/orders", order(), { timestamp: now() }),
    );
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("SCOPE");
    expect(res.body.error.message).toMatch(/does not have the 'trade' scope/);
    expect(await countOrders()).toBe(before);
    const tradeOnly = await newKey(["trade"]);
    const read = await call(
      signRequest(tradeOnly, "GET", "/api/v1/positions", "", { timestamp: now() }),
    );
    expect(read.status).toBe(403);
  });

  it("an idempotent retry, even a concurrent one, yields one order; another body with the key is 422", async () => {
    const key = await newKey(["trade"]);
    const before = await countOrders();
    const body = order({ qty: "3" });
    const [a, b] = await Promise.all([
      call(
        signRequest(key, "POST", "/api/v1/orders", body, {
          timestamp: now(),
          idempotencyKey: "retry-1",
        }),
      ),
      call(
        signRequest(key, "POST", "/api/v1/orders", body, {
          timestamp: now(),
          idempotencyKey: "retry-1",
        }),
      ),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 201]);
    expect(a.body.id).toBe(b.body.id);
    const c = await call(
      signRequest(key, "POST", "/api/v1/orders", body, {
        timestamp: now(),
        idempotencyKey: "retry-1",
      }),
    );
    expect(c.status).toBe(200);
    expect(c.headers.get("idempotent-replayed")).toBe("true");
    expect(c.body.id).toBe(a.body.id);
    expect(await countOrders()).toBe(before + 1);
    const other = await call(
      signRequest(key, "POST", "/api/v1/orders", order({ qty: "4" }), {
        timestamp: now(),
        idempotencyKey: "retry-1",
      }),
    );
    expect(other.status).toBe(422);
    expect(other.body.error).toMatchObject({
      code: "IDEMPOTENCY_MISMATCH",
      field: "Idempotency-Key",
    });
    expect(await countOrders()).toBe(before + 1);
  });

  it("answers 429 with Retry-After once a key's rate limit is used up", async () => {
    const key = await newKey(["read"], tight.url);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push(
        (await call(signRequest(key, "GET", "/api/v1/account", "", { timestamp: now() }))).status,
      );
    expect(statuses).toEqual([200, 200, 200, 429]);
  });

  it("bad orders are refused in words naming the field, and change nothing", async () => {
    const key = await newKey(["trade"]);
    const before = await countOrders();
    const post = async (body: string) =>
      call(signRequest(key, "POST", "/api/v1/orders", body, { timestamp: now() }));
    const typo = await post(order({ type: "limit", limit_price: "190" }));
    expect(typo.status).toBe(422);
    expect(typo.body.error).toMatchObject({ code: "INVALID_FIELD", field: "limit_price" });
    const limit = await post(order({ type: "limit", limitPrice: "199.00" }));
    expect(limit.body.error).toMatchObject({ code: "ORDER_TYPE_NOT_ALLOWED", field: "type" });
    const qty = await post(order({ qty: "0.5" }));
    expect(qty.status).toBe(422);
    expect(qty.body.error.message).toMatch(/^qty: AAPL trades in steps of 1/);
    const notJson = await post("{symbol");
    expect(notJson.body.error).toMatchObject({ code: "INVALID_BODY", field: "body" });
    const side = await post(order({ side: "hold" }));
    expect(side.body.error.field).toBe("side");
    expect(JSON.stringify(side.body)).not.toMatch(/zod|ZodError|select |at .*\.ts/);
    expect(await countOrders()).toBe(before);
  });

  it("prunes nonces after twice the window; the old request is then refused as stale", async () => {
    const key = await newKey(["read"]);
    const old = signRequest(key, "GET", "/api/v1/account", "", { timestamp: now() });
    expect((await call(old)).status).toBe(200);
    const held = await t.db.select().from(apiNonces).where(eq(apiNonces.apiKeyId, key.id));
    expect(held).toHaveLength(1);
    clock.advance(61_000);
    expect(
      (await call(signRequest(key, "GET", "/api/v1/account", "", { timestamp: now() }))).status,
    ).toBe(200);
    const after = await t.db.select().from(apiNonces).where(eq(apiNonces.apiKeyId, key.id));
    expect(after.map((n) => n.nonce)).not.toContain(old.headers["Tandem-Nonce"]);
    const replay = await call(old);
    expect(replay.status).toBe(401);
    expect(replay.body.error.code).toBe("STALE_TIMESTAMP");
    // Unknown endpoints and methods are answered in words too.
    const nowhere = await send(
      signRequest(key, "GET", "/api/v1/nowhere", "", { timestamp: now() }),
    );
    expect(nowhere.status).toBe(404);
    const wrongVerb = await send(
      signRequest(key, "DELETE", "/api/v1/positions", "", { timestamp: now() }),
    );
    expect(wrongVerb).toMatchObject({
      status: 405,
      body: { error: { code: "METHOD_NOT_ALLOWED" } },
    });
  });

  it("a leader's limit order rests, and is copied with a market order when it fills", async () => {
    await setApiLimitOrders(t.db, { userId: leaderUserId, allowed: true });
    const key = await newKey(["trade", "read"]);
    const placed = await call(
      signRequest(
        key,
        "POST",
        "/api/v1/orders",
        order({ type: "limit", qty: "20", limitPrice: "199.00" }),
        {
          timestamp: now(),
        },
      ),
    );
    expect(placed.status).toBe(201);
    await pump(deps);
    const rest = await call(
      signRequest(key, "GET", `/api/v1/orders/${placed.body.id}`, "", { timestamp: now() }),
    );
    expect(rest.body.status).toBe("accepted");
    const copiesBefore = await t.db
      .select()
      .from(orders)
      .where(eq(orders.relationshipId, relationshipId));
    const decisionsBefore = await t.db
      .select()
      .from(copyDecisions)
      .where(eq(copyDecisions.relationshipId, relationshipId));
    clock.advance(1000);
    await paper.onQuote({ symbol: "AAPL", bid: "198.49", ask: "198.51", at: clock.now() });
    await pump(deps);
    await pump(deps);
    const filled = await call(
      signRequest(key, "GET", `/api/v1/orders/${placed.body.id}`, "", { timestamp: now() }),
    );
    expect(filled.body).toMatchObject({ status: "filled", filledQty: "20" });
    const copies = (
      await t.db.select().from(orders).where(eq(orders.relationshipId, relationshipId))
    ).slice(copiesBefore.length);
    const decisions = (
      await t.db
        .select()
        .from(copyDecisions)
        .where(eq(copyDecisions.relationshipId, relationshipId))
    ).slice(decisionsBefore.length);
    expect(decisions.at(-1)).toMatchObject({ action: "placed" });
    // Followers always get market orders, sized from the leader's fill.
    expect(copies.length).toBeGreaterThan(0);
    expect(copies.every((o) => o.type === "market" && o.side === "buy")).toBe(true);
  });
});
