import http from "node:http";
import type { AddressInfo } from "node:net";
import { createStrategyApi, type StrategyApiOptions } from "./handler";

/**
 * The same handler behind a plain node:http server on 127.0.0.1: the tests speak real HTTP to
 * it (headers, bodies and status codes as a client sees them) without building Next.
 */
export async function serveStrategyApi(
  opts: StrategyApiOptions,
): Promise<{ url: string; close(): Promise<void> }> {
  const handle = createStrategyApi(opts);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers))
        if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(", ") : v);
      const request = new Request(`http://${req.headers.host ?? "127.0.0.1"}${req.url ?? "/"}`, {
        method: req.method,
        headers,
        body: req.method === "GET" || req.method === "HEAD" ? undefined : body,
      });
      handle(request)
        .then(async (response) => {
          res.writeHead(response.status, Object.fromEntries(response.headers.entries()));
          res.end(Buffer.from(await response.arrayBuffer()));
        })
        .catch((err: unknown) => {
          res.writeHead(500, { "content-type": "text/plain" });
          // The handler answers every error itself; this is a bug in the adapter, said plainly.
          void err;
          res.end("internal error");
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
