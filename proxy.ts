import { getToken } from "next-auth/jwt";
import { NextResponse, type NextRequest } from "next/server";

/**
 * First line of the admin console's protection: answer 403 before any routing for a
 * signed-in user without a staff role. The admin layout and every admin tRPC procedure check
 * again, so this is defence in depth, not the only gate.
 */
export async function proxy(req: NextRequest) {
  const token = await getToken({ req });
  if (!token)
    return NextResponse.redirect(
      new URL(`/signin?next=${encodeURIComponent(req.nextUrl.pathname)}`, req.url),
    );
  if (token.role !== "admin" && token.role !== "support") {
    return new NextResponse(
      "403 Forbidden: the admin console is only for admin and support staff.",
      {
        status: 403,
        headers: { "content-type": "text/plain; charset=utf-8" },
      },
    );
  }
  return NextResponse.next();
}

export const config = { matcher: ["/admin", "/admin/:path*"] };
