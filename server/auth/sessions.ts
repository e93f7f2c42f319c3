import { and, eq, gt, isNull, lt, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { auditLog, sessions, users, type UserRole } from "../../db/schema";
import type { ClientInfo } from "./client-info";

/**
 * Sessions you can end (docs/adr/0010). The cookie holds a signed JWT with nothing but the
 * session id and user id; whether the session is still live and what role the user has are
 * read from the database on every request.
 */
export const SESSION_TTL_SEC = 7 * 24 * 3600;

export type Viewer = {
  id: string;
  email: string;
  name: string;
  role: UserRole;
  /** The session this request came with; absent for callers built without one (tests, jobs). */
  sessionId?: string;
};

export type RevokeReason = "sign_out" | "sign_out_everywhere" | "password_changed" | "role_changed";

export async function createSession(
  db: Db,
  userId: string,
  client: ClientInfo,
  now: Date = new Date(),
): Promise<string> {
  const [row] = await db
    .insert(sessions)
    .values({
      userId,
      createdAt: now,
      lastSeenAt: now,
      expiresAt: new Date(now.getTime() + SESSION_TTL_SEC * 1000),
      ip: client.ip,
      userAgent: client.userAgent,
    })
    .returning({ id: sessions.id });
  return row!.id;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The viewer for a session id, or null when the session is unknown, ended or expired. */
export async function resolveSession(
  db: Db,
  sessionId: string | undefined | null,
  now: Date = new Date(),
): Promise<Viewer | null> {
  if (!sessionId || !UUID.test(sessionId)) return null;
  const [row] = await db
    .select({
      id: users.id,
      email: users.email,
      name: users.displayName,
      role: users.role,
      lastSeenAt: sessions.lastSeenAt,
    })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(
      and(eq(sessions.id, sessionId), isNull(sessions.revokedAt), gt(sessions.expiresAt, now)),
    );
  if (!row) return null;
  // Last seen is for the user's own list of sessions; a minute's precision is plenty and
  // spares a write on every request.
  if (now.getTime() - row.lastSeenAt.getTime() > 60_000) {
    await db
      .update(sessions)
      .set({ lastSeenAt: now })
      .where(and(eq(sessions.id, sessionId), lt(sessions.lastSeenAt, now)));
  }
  return { id: row.id, email: row.email, name: row.name, role: row.role, sessionId };
}

/** Ends one session (sign-out). Returns the user it belonged to, if it was live. */
export async function revokeSession(
  db: Db,
  sessionId: string,
  reason: RevokeReason,
  client: ClientInfo,
  now: Date = new Date(),
): Promise<string | null> {
  if (!UUID.test(sessionId)) return null;
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(sessions)
      .set({ revokedAt: now, revokedReason: reason })
      .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)))
      .returning({ userId: sessions.userId });
    if (!row) return null;
    await tx.insert(auditLog).values({
      actorUserId: row.userId,
      action: "user.sign_out",
      targetType: "session",
      targetId: sessionId,
      ip: client.ip,
      userAgent: client.userAgent,
      details: { ip: client.ip, userAgent: client.userAgent },
    });
    return row.userId;
  });
}

/**
 * Ends every live session of a user, optionally keeping one (the password changer's own).
 * Runs in the caller's transaction when given one, so the revocation and what caused it
 * commit together.
 */
export async function revokeAllSessions(
  db: Pick<Db, "update">,
  userId: string,
  reason: RevokeReason,
  opts: { keep?: string; now?: Date } = {},
): Promise<number> {
  const now = opts.now ?? new Date();
  const rows = await db
    .update(sessions)
    .set({ revokedAt: now, revokedReason: reason })
    .where(
      and(
        eq(sessions.userId, userId),
        isNull(sessions.revokedAt),
        opts.keep ? sql`${sessions.id} <> ${opts.keep}` : undefined,
      ),
    )
    .returning({ id: sessions.id });
  return rows.length;
}

/** "Sign out everywhere": every session of the user ends, this one included. */
export async function signOutEverywhere(
  db: Db,
  userId: string,
  client: ClientInfo,
  now: Date = new Date(),
): Promise<number> {
  return db.transaction(async (tx) => {
    const ended = await revokeAllSessions(tx, userId, "sign_out_everywhere", { now });
    await tx.insert(auditLog).values({
      actorUserId: userId,
      action: "user.sign_out_everywhere",
      targetType: "user",
      targetId: userId,
      ip: client.ip,
      userAgent: client.userAgent,
      details: { ip: client.ip, userAgent: client.userAgent, sessionsEnded: ended },
    });
    return ended;
  });
}
