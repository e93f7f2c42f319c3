import { createHmac } from "node:crypto";
import path from "node:path";
import { and, eq } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { brokerAccounts } from "../../../db/schema";
import { SecretBox } from "../../secrets/secret-box";
import {
  ALPACA_LIVE_STREAM,
  ALPACA_LIVE_URL,
  ALPACA_PAPER_STREAM,
  ALPACA_PAPER_URL,
  AlpacaBroker,
  type AlpacaAccountCredentials,
} from "./adapter";

/**
 * How Tandem reaches Alpaca for a connected account (docs/adr/0022): the environment of the
 * account's key (paper or live), unless `TANDEM_ALPACA_URL` points every Alpaca account at
 * the local Alpaca-compatible gateway (`npm run dev` with TANDEM_BROKER=alpaca-local, the e2e
 * server, tests). Secrets are opened only here, in the process that is about to use them.
 */

export type AlpacaMode = "paper" | "live";

export function alpacaEndpoints(
  mode: AlpacaMode,
  env: Record<string, string | undefined> = process.env,
): { baseUrl: string; streamUrl: string } {
  const local = env.TANDEM_ALPACA_URL?.replace(/\/+$/, "");
  if (local) return { baseUrl: local, streamUrl: `${local.replace(/^http/, "ws")}/stream` };
  return mode === "live"
    ? { baseUrl: ALPACA_LIVE_URL, streamUrl: ALPACA_LIVE_STREAM }
    : { baseUrl: ALPACA_PAPER_URL, streamUrl: ALPACA_PAPER_STREAM };
}

let box: SecretBox | null = null;

/**
 * The secret box of this process: TANDEM_SECRET_KEY, else the key in the data folder. The web
 * app and the worker may both be first to need it: the one that loses the race to create the
 * key file reads the winner's.
 */
export function secretBox(): SecretBox {
  if (box) return box;
  const dir = path.resolve(/*turbopackIgnore: true*/ process.env.TANDEM_DATA_DIR ?? ".data");
  try {
    box = SecretBox.fromEnv(process.env, dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    box = SecretBox.fromEnv(process.env, dir);
  }
  return box;
}

/** The secret is bound to the account row: a sealed value copied to another row won't open. */
export const secretContext = (brokerAccountId: string) => `broker_accounts:${brokerAccountId}`;

/** The key of a connected Alpaca account, by its external id (the seam's account id). */
export async function alpacaCredentials(
  db: Db,
  externalId: string,
  sb: SecretBox = secretBox(),
): Promise<AlpacaAccountCredentials> {
  const [row] = await db
    .select()
    .from(brokerAccounts)
    .where(and(eq(brokerAccounts.broker, "alpaca"), eq(brokerAccounts.externalId, externalId)));
  if (!row?.apiKeyId || !row.apiSecretSealed)
    throw new Error(`no Alpaca API key is stored for account ${externalId}`);
  return {
    keyId: row.apiKeyId,
    secretKey: sb.open(row.apiSecretSealed, secretContext(row.id)),
    ...alpacaEndpoints(row.mode === "live" ? "live" : "paper"),
  };
}

/** The worker's Alpaca adapter: one for every connected account, paper and live. */
export function createAlpacaBroker(
  db: Db,
  log?: (msg: string, extra?: Record<string, unknown>) => void,
): AlpacaBroker {
  const paper = alpacaEndpoints("paper");
  return new AlpacaBroker({
    db,
    ...paper,
    credentials: (externalId) => alpacaCredentials(db, externalId),
    log,
  });
}

/** Masked for people: `PK…1234`. The secret is never shown at all. */
export function maskKeyId(keyId: string | null): string | null {
  if (!keyId) return null;
  return keyId.length <= 6 ? "…" : `${keyId.slice(0, 2)}…${keyId.slice(-4)}`;
}

/**
 * The local gateway's keys, derived from the account id: a restarted gateway serves the same
 * accounts under the same keys (simulated money on 127.0.0.1; never Alpaca's keys).
 */
export function localGatewayKey(seed: string, accountId: string) {
  const h = (what: string) => createHmac("sha256", seed).update(`${what}:${accountId}`).digest();
  return {
    keyId: `PK${h("key").toString("hex").slice(0, 18).toUpperCase()}`,
    secretKey: h("secret").toString("base64url").slice(0, 40),
  };
}

/**
 * Asks Alpaca about the account behind a key before anything is saved: one read of
 * /v2/account with a throwaway adapter (no stream is opened). Throws the seam's errors.
 */
export async function verifyAlpacaKey(
  db: Db,
  mode: AlpacaMode,
  key: { keyId: string; secretKey: string },
  timeoutMs = 10_000,
) {
  const endpoints = alpacaEndpoints(mode);
  const adapter = new AlpacaBroker({
    db,
    ...endpoints,
    credentials: async () => ({ ...key, ...endpoints }),
    timeoutMs,
    name: "alpaca-verify",
  });
  try {
    return await adapter.verifyAccount("verify");
  } finally {
    await adapter.close();
  }
}
