import NextAuth from "next-auth";
import { clientInfo } from "@/server/auth/client-info";
import { authOptionsFor, isHttps } from "@/server/auth/options";
import { requestContext, type AuthRequestContext } from "@/server/auth/request-context";

type Ctx = { params: Promise<{ nextauth: string[] }> };

/**
 * next-auth with per-request options (Secure cookies over HTTPS) and the request's address
 * and user agent available to its callbacks. A throttled sign-in answers 429 with
 * Retry-After; the body keeps next-auth's shape so its client still reads the message.
 */
async function handler(req: Request, ctx: Ctx) {
  const store: AuthRequestContext = { client: clientInfo(req.headers) };
  const res: Response = await requestContext.run(store, () =>
    NextAuth(req as never, ctx as never, authOptionsFor(isHttps(req.headers))),
  );
  if (store.retryAfterSeconds === undefined) return res;
  const headers = new Headers(res.headers);
  headers.set("Retry-After", String(store.retryAfterSeconds));
  return new Response(res.body, { status: 429, headers });
}

export { handler as GET, handler as POST };
