import "server-only";
import { and, desc, eq, gte, ilike, lt, lte, or, sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../db/client";
import { auditLog, users } from "../../db/schema";
import { form, intField, textField } from "../domain/inputs";

/** A date or date-time as typed in the search form (`2026-11-03` or `2026-11-03T14:05`). */
const when = (label: string) =>
  textField({ label, max: 30 })
    .refine((v) => v === "" || parseWhen(v) !== null, {
      error: `${label} must be a date like 2026-11-03 or 2026-11-03T14:05`,
    })
    .optional();

function parseWhen(v: string): Date | null {
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?(\.\d{1,3})?(Z|[+-]\d{2}:\d{2})?)?$/.test(v))
    return null;
  const d = new Date(v.length === 10 ? `${v}T00:00:00Z` : v);
  return Number.isNaN(d.getTime()) ? null : d;
}

export const auditSearchInput = form({
  /** E-mail (part of it) or user id of the person who acted. */
  user: textField({ label: "User", max: 200 }).optional(),
  /** Action name or its start: `copy.` finds every copy action. */
  action: textField({ label: "Action", max: 100 }).optional(),
  from: when("From"),
  to: when("To"),
  /** Rows older than this id (the next page). */
  before: intField({ label: "Page", min: 1, max: Number.MAX_SAFE_INTEGER }).optional(),
  limit: intField({ label: "Rows per page", min: 1, max: 200 }).default(50),
});
export type AuditSearch = z.input<typeof auditSearchInput>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Escapes LIKE wildcards so a search for `copy_` means the text, not a pattern. */
function likeText(v: string) {
  return v.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * The audit log, newest first, filtered by who acted, what they did and when. Staff only
 * (the router checks); read-only by construction — the table refuses UPDATE and DELETE.
 */
export async function searchAudit(db: Db, raw: AuditSearch) {
  const input = auditSearchInput.parse(raw);
  const where: SQL[] = [];
  if (input.user) {
    where.push(
      UUID.test(input.user)
        ? eq(auditLog.actorUserId, input.user.toLowerCase())
        : ilike(users.email, `%${likeText(input.user)}%`),
    );
  }
  if (input.action) {
    const a = likeText(input.action);
    where.push(or(eq(auditLog.action, input.action), ilike(auditLog.action, `${a}%`))!);
  }
  if (input.from) where.push(gte(auditLog.at, parseWhen(input.from)!));
  if (input.to) {
    const to = parseWhen(input.to)!;
    // A bare date means the whole of that day.
    where.push(
      input.to.length === 10
        ? lt(auditLog.at, new Date(to.getTime() + 86_400_000))
        : lte(auditLog.at, to),
    );
  }
  if (input.before) where.push(lt(auditLog.id, input.before));
  const rows = await db
    .select({
      id: auditLog.id,
      at: auditLog.at,
      action: auditLog.action,
      actorUserId: auditLog.actorUserId,
      actorEmail: users.email,
      targetType: auditLog.targetType,
      targetId: auditLog.targetId,
      details: auditLog.details,
      ip: auditLog.ip,
      userAgent: auditLog.userAgent,
    })
    .from(auditLog)
    .leftJoin(users, eq(users.id, auditLog.actorUserId))
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(auditLog.id))
    .limit(input.limit + 1);
  const more = rows.length > input.limit;
  const page = more ? rows.slice(0, input.limit) : rows;
  return { rows: page, nextBefore: more ? page.at(-1)!.id : null };
}

/** The distinct actions on record, for the search form's suggestions. */
export async function auditActions(db: Db): Promise<string[]> {
  const rows = await db.execute<{ action: string }>(
    sql`select distinct action from ${auditLog} order by action limit 200`,
  );
  return [...rows].map((r) => r.action);
}
