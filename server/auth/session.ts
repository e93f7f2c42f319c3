import { decode } from "next-auth/jwt";
import { cookies, headers } from "next/headers";
import { cache } from "react";
import type { Db } from "../../db/client";
import { getDb } from "../db";
import { clientInfo, type ClientInfo } from "./client-info";
import { isHttps, sessionCookieName } from "./options";
import { resolveSession, type Viewer } from "./sessions";

export type { Viewer };

/**
 * The signed-in user of this request, checked against the sessions table and read from the
 * users row every time: a session ended by sign-out, sign-out everywhere or a password change
 * is refused, and a changed role applies, on the very next request. Cached per request
 * (React cache) because the layout, the page and the tRPC caller all ask.
 */
export const getViewer = cache(async (): Promise<Viewer | null> => {
  const h = await headers();
  const token = (await cookies()).get(sessionCookieName(isHttps(h)))?.value;
  return viewerFromToken(await getDb(), token, process.env.NEXTAUTH_SECRET);
});

/** The viewer a session cookie stands for, or null: a forged, ended or expired one is nobody. */
export async function viewerFromToken(
  db: Db,
  token: string | undefined,
  secret: string | undefined,
): Promise<Viewer | null> {
  if (!token || !secret) return null;
  const jwt = await decode({ token, secret }).catch(() => null);
  if (!jwt?.sid || !jwt.uid) return null;
  const viewer = await resolveSession(db, jwt.sid);
  return viewer && viewer.id === jwt.uid ? viewer : null;
}

/** Address and user agent of this request, for rate limits and the audit log. */
export async function getClientInfo(): Promise<ClientInfo> {
  return clientInfo(await headers());
}

export { STAFF_ROLES } from "./roles";
