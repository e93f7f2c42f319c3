import { decode } from "next-auth/jwt";
import { NextResponse, type NextRequest } from "next/server";
import { sessionCookieName } from "./server/auth/cookie-names";
import { STAFF_ROLES } from "./server/auth/roles";
import { resolveSession } from "./server/auth/sessions";
import {
  HSTS,
  newNonce,
  pageCsp,
  servedOverHttps,
  STATIC_SECURITY_HEADERS,
} from "./server/auth/security-headers";

/**
 * Runs before every page (docs/adr/0013):
 *  - a Content-Security-Policy with a fresh nonce; Next reads it from the request's CSP
 *    header and puts it on its own scripts, so pages must render per request (they do: the
 *    root layout reads the session);
 *  - HSTS when the request came over HTTPS;
 *  - the admin console's first gate, from the database (the cookie holds no role): no live
 *    session, sign in; not staff, 403. The admin layout and every admin procedure check
 *    again, so this is defence in depth, not the only gate.
 * API routes and static files get their headers from next.config.ts.
 */
export async function proxy(req: NextRequest) {
  const https = servedOverHttps(req.headers.get("x-forwarded-proto"));
  const path = req.nextUrl.pathname;

  if (path === "/admin" || path.startsWith("/admin/")) {
    const refused = await adminGate(req, https, path);
    if (refused) return withHeaders(refused, https);
  }

  const nonce = newNonce();
  const csp = pageCsp(nonce, { dev: process.env.NODE_ENV === "development", https });
  const requestHeaders = new Headers(req.headers);
  requestHeaders.set("x-nonce", nonce);
  requestHeaders.set("Content-Security-Policy", csp);
  const res = NextResponse.next({ request: { headers: requestHeaders } });
  res.headers.set("Content-Security-Policy", csp);
  return withHeaders(res, https);
}

async function adminGate(req: NextRequest, https: boolean, path: string) {
  const token = req.cookies.get(sessionCookieName(https))?.value;
  const secret = process.env.NEXTAUTH_SECRET;
  const jwt = token && secret ? await decode({ token, secret }).catch(() => null) : null;
  // Imported here so that pages that are not the console never load the database client.
  const { getDb } = await import("./server/db");
  const viewer = jwt?.sid ? await resolveSession(await getDb(), jwt.sid) : null;
  if (!viewer || viewer.id !== jwt?.uid)
    return NextResponse.redirect(new URL(`/signin?next=${encodeURIComponent(path)}`, req.url));
  if (!STAFF_ROLES.includes(viewer.role))
    return new NextResponse(
      "403 Forbidden: the admin console is only for admin and support staff.",
      {
        status: 403,
        headers: { "content-type": "text/plain; charset=utf-8" },
      },
    );
  return null;
}

function withHeaders(res: NextResponse, https: boolean): NextResponse {
  for (const [k, v] of Object.entries(STATIC_SECURITY_HEADERS)) res.headers.set(k, v);
  if (https) res.headers.set("Strict-Transport-Security", HSTS);
  return res;
}

export const config = {
  matcher: [
    {
      // Pages only: not API routes, not Next's static files, not the favicon.
      source: "/((?!api|_next/static|_next/image|favicon.ico).*)",
      missing: [
        { type: "header", key: "next-router-prefetch" },
        { type: "header", key: "purpose", value: "prefetch" },
      ],
    },
  ],
};
