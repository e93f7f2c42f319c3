import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/**
 * The strategy API's request signature (docs/adr/0055, docs/openapi/strategy-api.yaml):
 *
 *   signature = hex(HMAC-SHA256(secret, "TANDEM-HMAC-SHA256\n" + METHOD + "\n" + path-with-query
 *                                       + "\n" + timestamp + "\n" + nonce + "\n" + hex(SHA-256(body))))
 *
 * The body is hashed rather than included so the string to sign stays small and the body is
 * covered byte for byte (a re-serialised JSON body would not match, on purpose). The method and
 * the path with its query are covered so that a signature for GET /orders/1 cannot be replayed
 * against another order or turned into a POST.
 */
export const SIGNATURE_SCHEME = "TANDEM-HMAC-SHA256";

export const HEADERS = {
  key: "Tandem-Key",
  timestamp: "Tandem-Timestamp",
  nonce: "Tandem-Nonce",
  signature: "Tandem-Signature",
  idempotency: "Idempotency-Key",
} as const;

export function bodyHash(body: string | Uint8Array): string {
  return createHash("sha256").update(body).digest("hex");
}

export function stringToSign(p: {
  method: string;
  pathWithQuery: string;
  timestamp: string;
  nonce: string;
  body: string | Uint8Array;
}): string {
  return [
    SIGNATURE_SCHEME,
    p.method.toUpperCase(),
    p.pathWithQuery,
    p.timestamp,
    p.nonce,
    bodyHash(p.body),
  ].join("\n");
}

export function sign(secret: string, canonical: string): string {
  return createHmac("sha256", secret).update(canonical).digest("hex");
}

/** Constant-time: how many leading characters match must not show in the response time. */
export function signatureMatches(secret: string, canonical: string, given: string): boolean {
  const want = Buffer.from(sign(secret, canonical), "hex");
  const got = /^[0-9a-fA-F]{64}$/.test(given) ? Buffer.from(given, "hex") : null;
  if (!got || got.length !== want.length) return false;
  return timingSafeEqual(want, got);
}
