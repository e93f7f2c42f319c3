/**
 * A small client for Tandem's signed strategy API (docs/openapi/strategy-api.yaml), on purpose
 * self-contained (Node's crypto and fetch only) so it can be copied into a strategy as it is.
 *
 *   TANDEM_API_URL=http://localhost:3000 TANDEM_KEY_ID=tk_… TANDEM_KEY_SECRET=tks_… \
 *     npx tsx examples/strategy-client.ts order buy AAPL 10            # a market order
 *   … order buy AAPL 10 limit 190.25                                   # a limit order
 *   … order-status <order id> | positions | account
 *
 * Each request is signed with HMAC-SHA256 over the method, the path with its query, a
 * timestamp (seconds), a fresh nonce and the SHA-256 of the body. A retried order carries the
 * same Idempotency-Key, so the network failing after the server took it never makes two orders.
 */
import { createHash, createHmac, randomUUID } from "node:crypto";

export type Credentials = { baseUrl: string; keyId: string; secret: string };

export type SignedRequest = {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string;
};

/** The signed request, without sending it (a test can send it twice to see the replay refused). */
export function signRequest(
  creds: Credentials,
  method: string,
  pathWithQuery: string,
  body = "",
  opts: { timestamp?: number; nonce?: string; idempotencyKey?: string } = {},
): SignedRequest {
  const timestamp = String(opts.timestamp ?? Math.floor(Date.now() / 1000));
  const nonce = opts.nonce ?? randomUUID();
  const bodySha = createHash("sha256").update(body).digest("hex");
  const canonical = [
    "TANDEM-HMAC-SHA256",
    method.toUpperCase(),
    pathWithQuery,
    timestamp,
    nonce,
    bodySha,
  ].join("\n");
  const signature = createHmac("sha256", creds.secret).update(canonical).digest("hex");
  const headers: Record<string, string> = {
    "Tandem-Key": creds.keyId,
    "Tandem-Timestamp": timestamp,
    "Tandem-Nonce": nonce,
    "Tandem-Signature": signature,
  };
  if (body) headers["content-type"] = "application/json";
  if (opts.idempotencyKey) headers["Idempotency-Key"] = opts.idempotencyKey;
  return {
    url: creds.baseUrl.replace(/\/$/, "") + pathWithQuery,
    method: method.toUpperCase(),
    headers,
    body,
  };
}

export async function send(
  r: SignedRequest,
): Promise<{ status: number; body: unknown; headers: Headers }> {
  const res = await fetch(r.url, {
    method: r.method,
    headers: r.headers,
    body: r.body || undefined,
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body, headers: res.headers };
}

export type Order = {
  symbol: string;
  side: "buy" | "sell";
  qty: string;
  type: "market" | "limit";
  limitPrice?: string;
};

export class StrategyClient {
  constructor(private readonly creds: Credentials) {}

  /**
   * Places an order; on a network error or a 5xx it retries (signed anew: a new nonce and
   * timestamp) with the same Idempotency-Key, and the server answers with the first order.
   */
  async placeOrder(order: Order, idempotencyKey: string = randomUUID(), attempts = 3) {
    const body = JSON.stringify(order);
    for (let i = 1; ; i++) {
      try {
        const res = await send(
          signRequest(this.creds, "POST", "/api/v1/orders", body, { idempotencyKey }),
        );
        if (res.status < 500 || i >= attempts) return res;
      } catch (err) {
        if (i >= attempts) throw err;
      }
      await new Promise((r) => setTimeout(r, 250 * 2 ** i));
    }
  }

  getOrder(id: string) {
    return send(signRequest(this.creds, "GET", `/api/v1/orders/${encodeURIComponent(id)}`));
  }

  positions() {
    return send(signRequest(this.creds, "GET", "/api/v1/positions"));
  }

  account() {
    return send(signRequest(this.creds, "GET", "/api/v1/account"));
  }
}

function fromEnv(): Credentials {
  const { TANDEM_API_URL, TANDEM_KEY_ID, TANDEM_KEY_SECRET } = process.env;
  if (!TANDEM_KEY_ID || !TANDEM_KEY_SECRET) {
    console.error(
      "Set TANDEM_KEY_ID and TANDEM_KEY_SECRET (and TANDEM_API_URL, default http://localhost:3000).",
    );
    process.exit(2);
  }
  return {
    baseUrl: TANDEM_API_URL ?? "http://localhost:3000",
    keyId: TANDEM_KEY_ID,
    secret: TANDEM_KEY_SECRET,
  };
}

async function main(argv: string[]) {
  const client = new StrategyClient(fromEnv());
  const [cmd, ...args] = argv;
  let res;
  if (cmd === "order") {
    const [side, symbol, qty, type = "market", limitPrice] = args;
    if (
      (side !== "buy" && side !== "sell") ||
      !symbol ||
      !qty ||
      (type !== "market" && type !== "limit")
    ) {
      console.error("usage: order buy|sell SYMBOL QTY [market | limit PRICE]");
      process.exit(2);
    }
    res = await client.placeOrder({
      symbol,
      side,
      qty,
      type,
      ...(limitPrice ? { limitPrice } : {}),
    });
  } else if (cmd === "order-status" && args[0]) res = await client.getOrder(args[0]);
  else if (cmd === "positions") res = await client.positions();
  else if (cmd === "account") res = await client.account();
  else {
    console.error("usage: order … | order-status ID | positions | account");
    process.exit(2);
  }
  console.log(JSON.stringify({ status: res.status, body: res.body }, null, 2));
  process.exit(res.status < 300 ? 0 : 1);
}

// Run as a script (tsx examples/strategy-client.ts …), not when imported by a test.
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  void main(process.argv.slice(2));
}
