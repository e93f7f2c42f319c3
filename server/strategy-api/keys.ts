import "server-only";
import { randomBytes, randomUUID } from "node:crypto";
import { and, desc, eq, isNull, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { apiKeys, auditLog, leaders, type ApiScope } from "../../db/schema";
import { secretBox } from "../brokers/alpaca/accounts";
import type { SecretBox } from "../secrets/secret-box";

/**
 * A leader's strategy API keys (docs/adr/0055). The secret is the HMAC key, so the server
 * must be able to use it: it is sealed with the secret box (AES-256-GCM, bound to the key's
 * row), shown once in the answer to `create`, and never shown or logged again.
 */

/** Live keys per leader: enough for a strategy, its staging copy and a rotation in flight. */
export const MAX_LIVE_KEYS = 5;

export class ApiKeyError extends Error {
  constructor(
    readonly code: "NOT_FOUND" | "TOO_MANY" | "INVALID_STATE",
    message: string,
  ) {
    super(message);
  }
}

export const sealContext = (rowId: string) => `api_keys:${rowId}`;

export type ApiKeyView = {
  id: string;
  keyId: string;
  label: string;
  scopes: ApiScope[];
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
};

const view = (k: typeof apiKeys.$inferSelect): ApiKeyView => ({
  id: k.id,
  keyId: k.keyId,
  label: k.label,
  scopes: k.scopes as ApiScope[],
  createdAt: k.createdAt,
  lastUsedAt: k.lastUsedAt,
  revokedAt: k.revokedAt,
});

async function leaderOf(db: Db, userId: string, lock: boolean) {
  const q = db.select().from(leaders).where(eq(leaders.userId, userId));
  const [l] = lock ? await q.for("update") : await q;
  if (!l) throw new ApiKeyError("NOT_FOUND", "No leader profile for this account.");
  return l;
}

/** Must run inside a transaction: the count of live keys and the insert share the leader's row lock. */
export async function createApiKey(
  db: Db,
  input: { userId: string; label: string; scopes: ApiScope[]; now?: Date },
  box: SecretBox = secretBox(),
): Promise<ApiKeyView & { secret: string }> {
  const leader = await leaderOf(db, input.userId, true);
  const [{ live } = { live: 0 }] = await db
    .select({ live: sql<number>`count(*)::int` })
    .from(apiKeys)
    .where(and(eq(apiKeys.leaderId, leader.id), isNull(apiKeys.revokedAt)));
  if (live >= MAX_LIVE_KEYS)
    throw new ApiKeyError(
      "TOO_MANY",
      `You already have ${MAX_LIVE_KEYS} live API keys. Revoke one you no longer use first.`,
    );
  const id = randomUUID();
  // Public and secret halves from the system's CSPRNG; the prefixes tell them apart at a glance.
  const keyId = `tk_${randomBytes(9).toString("base64url")}`;
  const secret = `tks_${randomBytes(32).toString("base64url")}`;
  const now = input.now ?? new Date();
  const scopes = [...new Set(input.scopes)].sort() as ApiScope[];
  const [row] = await db
    .insert(apiKeys)
    .values({
      id,
      keyId,
      userId: input.userId,
      leaderId: leader.id,
      label: input.label,
      scopes,
      sealedSecret: box.seal(secret, sealContext(id)),
      createdAt: now,
    })
    .returning();
  await db.insert(auditLog).values({
    actorUserId: input.userId,
    action: "api_key.create",
    targetType: "api_key",
    targetId: id,
    details: { keyId, label: input.label, scopes },
    at: now,
  });
  return { ...view(row!), secret };
}

export async function listApiKeys(db: Db, userId: string): Promise<ApiKeyView[]> {
  const rows = await db
    .select()
    .from(apiKeys)
    .where(eq(apiKeys.userId, userId))
    .orderBy(desc(apiKeys.createdAt))
    .limit(50);
  return rows.map(view);
}

export async function revokeApiKey(
  db: Db,
  input: { userId: string; id: string; now?: Date },
): Promise<ApiKeyView> {
  const now = input.now ?? new Date();
  // One statement: the "is it live" check and the revoke cannot be split by another request.
  const [row] = await db
    .update(apiKeys)
    .set({ revokedAt: now })
    .where(
      and(eq(apiKeys.id, input.id), eq(apiKeys.userId, input.userId), isNull(apiKeys.revokedAt)),
    )
    .returning();
  if (!row) {
    const [exists] = await db
      .select({ id: apiKeys.id })
      .from(apiKeys)
      .where(and(eq(apiKeys.id, input.id), eq(apiKeys.userId, input.userId)));
    throw exists
      ? new ApiKeyError("INVALID_STATE", "This API key is already revoked.")
      : new ApiKeyError("NOT_FOUND", "No such API key.");
  }
  await db.insert(auditLog).values({
    actorUserId: input.userId,
    action: "api_key.revoke",
    targetType: "api_key",
    targetId: row.id,
    details: { keyId: row.keyId },
    at: now,
  });
  return view(row);
}

/** Whether the strategy API may send limit orders for this leader (market only by default). */
export async function apiOrderTypes(db: Db, userId: string) {
  const leader = await leaderOf(db, userId, false);
  return { limitOrders: leader.apiLimitOrders };
}

export async function setApiLimitOrders(
  db: Db,
  input: { userId: string; allowed: boolean; now?: Date },
) {
  const leader = await leaderOf(db, input.userId, true);
  await db.update(leaders).set({ apiLimitOrders: input.allowed }).where(eq(leaders.id, leader.id));
  await db.insert(auditLog).values({
    actorUserId: input.userId,
    action: "api.order_types",
    targetType: "leader",
    targetId: leader.id,
    details: {
      before: { limitOrders: leader.apiLimitOrders },
      after: { limitOrders: input.allowed },
    },
    at: input.now ?? new Date(),
  });
  return { limitOrders: input.allowed };
}

/** The key a request names, with its secret opened; null when there is no such key. */
export async function keyForRequest(db: Db, keyId: string, box: SecretBox = secretBox()) {
  const [row] = await db.select().from(apiKeys).where(eq(apiKeys.keyId, keyId));
  if (!row) return null;
  return { ...row, secret: box.open(row.sealedSecret, sealContext(row.id)) };
}
