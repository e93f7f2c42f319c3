import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { getDb } from "../db";
import { AuthError, signInWithPassword } from "./accounts";
import { clientInfo } from "./client-info";
import { requestContext } from "./request-context";
import { servedOverHttps } from "./security-headers";
import { resolveSession, revokeSession, SESSION_TTL_SEC } from "./sessions";
import { secondStep } from "./mfa-sign-in";
import { SECOND_FACTOR_PREFIX, SecondFactorRequired } from "./mfa";

/** Served over HTTPS (see servedOverHttps): decides Secure cookies and their names. */
export function isHttps(headers: Headers | Record<string, string | undefined>): boolean {
  const proto =
    typeof (headers as Headers).get === "function"
      ? (headers as Headers).get("x-forwarded-proto")
      : (headers as Record<string, string | undefined>)["x-forwarded-proto"];
  return servedOverHttps(proto);
}

export { sessionCookieName } from "./cookie-names";

/**
 * next-auth's options for one request: the cookies are Secure (and __Secure- prefixed) when
 * that request came over HTTPS. The cookie holds only the user id and our session id
 * (docs/adr/0010); everything else is read from the database per request.
 */
export function authOptionsFor(secure: boolean): NextAuthOptions {
  return {
    session: { strategy: "jwt", maxAge: SESSION_TTL_SEC },
    useSecureCookies: secure,
    pages: { signIn: "/signin" },
    // A revoked session makes the jwt callback throw on purpose (see below); that is the
    // expected path, not an error worth a stack trace in the log.
    logger: {
      error(code, meta) {
        if (code === "JWT_SESSION_ERROR") return;
        console.error(`[next-auth] ${code}`, meta instanceof Error ? meta.message : "");
      },
      warn() {},
      debug() {},
    },
    providers: [
      CredentialsProvider({
        name: "E-mail and password",
        credentials: {
          email: { label: "E-mail", type: "email" },
          password: { label: "Password", type: "password" },
          // The second step (docs/adr/0050): the pending token the password step handed out,
          // and a code or a passkey's answer (JSON).
          pending: { type: "text" },
          code: { type: "text" },
          passkey: { type: "text" },
        },
        async authorize(credentials, req) {
          const headers = (req?.headers ?? {}) as Record<string, string | string[] | undefined>;
          const client = clientInfo(headers);
          if (credentials?.pending) return secondStep(credentials, headers, client);
          if (!credentials?.email || !credentials.password)
            throw new Error("Enter your e-mail and password.");
          try {
            const user = await signInWithPassword(
              await getDb(),
              { email: credentials.email, password: credentials.password },
              client,
            );
            return { id: user.id, email: user.email, name: user.name, sid: user.sessionId };
          } catch (err) {
            if (err instanceof SecondFactorRequired)
              throw new Error(`${SECOND_FACTOR_PREFIX}${err.token}`);
            if (err instanceof AuthError) {
              // The route handler turns this into a 429 with Retry-After.
              const store = requestContext.getStore();
              if (store && err.code === "THROTTLED")
                store.retryAfterSeconds = err.retryAfterSeconds;
              // next-auth passes the message through to the sign-in form.
              throw new Error(err.message);
            }
            throw err;
          }
        },
      }),
    ],
    callbacks: {
      async jwt({ token, user }) {
        if (user) {
          // Only ids in the cookie: no role, which would outlive a demotion.
          return { sub: user.id, uid: user.id, sid: (user as { sid?: string }).sid };
        }
        // /api/auth/session: a session ended elsewhere makes next-auth clear the cookie.
        if (!(await resolveSession(await getDb(), token.sid))) throw new Error("session ended");
        return token;
      },
      session({ session, token }) {
        if (session.user) session.user.id = token.uid ?? "";
        return session;
      },
    },
    events: {
      async signOut({ token }) {
        const sid = (token as { sid?: string } | null)?.sid;
        if (!sid) return;
        const client = requestContext.getStore()?.client ?? { ip: "unknown", userAgent: "" };
        await revokeSession(await getDb(), sid, "sign_out", client);
      },
    },
  };
}
