import { and, inArray, isNotNull } from "drizzle-orm";
import {
  copyDayMarks,
  copyPositions,
  copyRelationships,
  instruments,
  quotes,
} from "../../../db/schema";
import { fmt } from "../../domain/money";
import { copyPnl } from "../../domain/valuation";
import { groupBy } from "../core/concurrency";
import type { EngineDeps } from "../deps";
import { utcDay } from "../replicate/plan-context";

/**
 * The daily loss limit's reference point (replay-format.md, "Daily loss limit"): each
 * limited copy's P&L at the end of the previous UTC day, valued at the last quotes before
 * 00:00 UTC, written as the mark of the day that starts at `dayStart`. Call it before the
 * first quote of the new day is applied (the replay does, at the first event of a new day;
 * the worker at its first step after midnight). Set-based: one query per kind for all
 * copies; a mark already there is kept. Returns how many marks were written.
 */
export async function markDayStart(deps: EngineDeps, dayStart: Date): Promise<number> {
  const day = utcDay(dayStart);
  const rels = await deps.db
    .select({ id: copyRelationships.id, feesCharged: copyRelationships.feesCharged })
    .from(copyRelationships)
    .where(
      and(
        inArray(copyRelationships.status, ["active", "paused"]),
        isNotNull(copyRelationships.dailyLossLimit),
      ),
    );
  if (rels.length === 0) return 0;
  const ids = rels.map((r) => r.id);
  const charged = new Map(rels.map((r) => [r.id, r.feesCharged]));
  const held = await deps.db
    .select()
    .from(copyPositions)
    .where(inArray(copyPositions.relationshipId, ids));
  const symbols = [...new Set(held.map((p) => p.symbol))];
  const qs = symbols.length
    ? await deps.db.select().from(quotes).where(inArray(quotes.symbol, symbols))
    : [];
  const ms = symbols.length
    ? await deps.db
        .select({ s: instruments.symbol, m: instruments.multiplier })
        .from(instruments)
        .where(inArray(instruments.symbol, symbols))
    : [];
  const quoteMap = new Map(qs.map((q) => [q.symbol, q]));
  const mult = new Map(ms.map((m) => [m.s, m.m]));
  const byRel = groupBy(held, (p) => p.relationshipId);
  const rows = ids.map((id) => ({
    relationshipId: id,
    day,
    pnlAtStart: fmt(copyPnl(byRel.get(id) ?? [], quoteMap, mult).minus(charged.get(id)!)),
  }));
  const written = await deps.db
    .insert(copyDayMarks)
    .values(rows)
    .onConflictDoNothing()
    .returning({ id: copyDayMarks.relationshipId });
  return written.length;
}
