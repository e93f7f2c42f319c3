import { and, asc, count, desc, eq, ilike, or, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../db/client";
import { copyRelationships, leaders } from "../../db/schema";

/** A leader needs this much history before followers may copy them. */
export const MIN_TRACK_RECORD_DAYS = 30;

export const listLeadersInput = z.object({
  search: z.string().trim().max(60).optional(),
  sort: z.enum(["followers", "track_record", "name"]).default("followers"),
  page: z.number().int().min(1).max(10_000).default(1),
  pageSize: z.number().int().min(1).max(100).default(20),
});
export type ListLeadersInput = z.input<typeof listLeadersInput>;

export async function listLeaders(db: Db, raw: ListLeadersInput, now: Date = new Date()) {
  const input = listLeadersInput.parse(raw);
  const followers = db
    .select({ leaderId: copyRelationships.leaderId, n: count().as("n") })
    .from(copyRelationships)
    .where(sql`${copyRelationships.status} <> 'stopped'`)
    .groupBy(copyRelationships.leaderId)
    .as("followers");
  const where = input.search
    ? or(
        ilike(leaders.displayName, `%${input.search}%`),
        ilike(leaders.handle, `%${input.search}%`),
      )
    : undefined;
  const order =
    input.sort === "followers"
      ? [desc(sql`coalesce(${followers.n}, 0)`), asc(leaders.handle)]
      : input.sort === "track_record"
        ? [asc(leaders.trackRecordStartedAt), asc(leaders.handle)]
        : [asc(leaders.displayName), asc(leaders.handle)];
  const rows = await db
    .select({
      id: leaders.id,
      handle: leaders.handle,
      displayName: leaders.displayName,
      strategy: leaders.strategy,
      copyable: leaders.copyable,
      trackRecordStartedAt: leaders.trackRecordStartedAt,
      followers: sql<number>`coalesce(${followers.n}, 0)::int`,
    })
    .from(leaders)
    .leftJoin(followers, eq(followers.leaderId, leaders.id))
    .where(where ? and(where) : undefined)
    .orderBy(...order)
    .limit(input.pageSize)
    .offset((input.page - 1) * input.pageSize);
  const [total] = await db
    .select({ n: count() })
    .from(leaders)
    .where(where ? and(where) : undefined);
  return {
    total: total?.n ?? 0,
    page: input.page,
    pageSize: input.pageSize,
    items: rows.map((r) => {
      const trackRecordDays = Math.floor(
        (now.getTime() - r.trackRecordStartedAt.getTime()) / 86_400_000,
      );
      return { ...r, trackRecordDays, meetsTrackRecord: trackRecordDays >= MIN_TRACK_RECORD_DAYS };
    }),
  };
}
