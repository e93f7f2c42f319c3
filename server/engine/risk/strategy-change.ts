import { and, eq, isNull, sql } from "drizzle-orm";
import { auditLog, leaderFlags } from "../../../db/schema";
import {
  detectStrategyChange,
  STRATEGY_CHANGE_RULES,
  type HistoryFill,
  type StrategyChangeRules,
} from "../../domain/strategy-change";
import { closedTradesFromFills } from "../../domain/round-trips";
import { CopyError } from "../copies/intents";
import type { EngineDeps } from "../deps";

const HOUR = 3_600_000;

/**
 * The worker's strategy-change pass (ADR 0035), set-based: one query loads every leader's
 * fills of the last 30 days and a day, one their equity, one the open flags; the pure
 * detector decides per leader in memory. A flag opens (one open per leader: a unique
 * index, so two workers cannot both open one) with its reasons and figures, and closes by
 * itself once a full recent window has passed without any departure. Both are audited with
 * actor "system"; followers hear of an opening through the notifier (server/notify/derive.ts).
 */
export async function detectStrategyChanges(
  deps: Pick<EngineDeps, "db" | "clock" | "log">,
  rules: StrategyChangeRules = STRATEGY_CHANGE_RULES,
): Promise<{ opened: number; closed: number }> {
  const now = deps.clock.now();
  const from = new Date(now.getTime() - (rules.recentHours + rules.trailingDays * 24) * HOUR);
  const rows = await deps.db.execute<{
    leader_id: string;
    symbol: string;
    side: "buy" | "sell";
    qty: string;
    price: string;
    position_after: string;
    filled_at: Date | string;
    multiplier: string;
    commission_per_unit: string;
  }>(sql`
    select f.leader_id, f.symbol, f.side, f.qty, f.price, f.position_after, f.filled_at,
           i.multiplier, i.commission_per_unit
      from leader_fills f join instruments i on i.symbol = f.symbol
     where f.filled_at >= ${from.toISOString()}::timestamptz
       and f.filled_at <= ${now.toISOString()}::timestamptz
     order by f.leader_id, f.filled_at, f.event_seq`);
  const equityRows = await deps.db.execute<{ owner_id: string; day: string; equity: string }>(sql`
    select owner_id, day::text as day, equity from equity_snapshots
     where owner_type = 'leader' and day >= ${from.toISOString().slice(0, 10)}::date - 1`);
  const open = await deps.db
    .select({ id: leaderFlags.id, leaderId: leaderFlags.leaderId, openedAt: leaderFlags.openedAt })
    .from(leaderFlags)
    .where(isNull(leaderFlags.closedAt));

  const byLeader = new Map<string, Array<(typeof rows)[number]>>();
  for (const r of rows) byLeader.set(r.leader_id, [...(byLeader.get(r.leader_id) ?? []), r]);
  const equity = new Map<string, Array<{ day: string; equity: string }>>();
  for (const e of equityRows) equity.set(e.owner_id, [...(equity.get(e.owner_id) ?? []), e]);
  const openBy = new Map(open.map((f) => [f.leaderId, f]));

  let opened = 0;
  let closed = 0;
  for (const leaderId of new Set([...byLeader.keys(), ...openBy.keys()])) {
    const list = byLeader.get(leaderId) ?? [];
    const specs = new Map(
      list.map((f) => [
        f.symbol,
        { multiplier: f.multiplier, commissionPerUnit: f.commission_per_unit },
      ]),
    );
    const fills: HistoryFill[] = list.map((f) => ({
      symbol: f.symbol,
      side: f.side,
      qty: f.qty,
      price: f.price,
      multiplier: f.multiplier,
      positionAfter: f.position_after,
      at: new Date(f.filled_at),
    }));
    const trades = closedTradesFromFills(
      list.map((f) => ({
        symbol: f.symbol,
        side: f.side,
        qty: f.qty,
        price: f.price,
        at: new Date(f.filled_at),
      })),
      (s) => specs.get(s)!,
    );
    const out = detectStrategyChange({
      now,
      fills,
      trades,
      equity: equity.get(leaderId) ?? [],
      rules,
    });
    const flag = openBy.get(leaderId);
    if (out.flagged && !flag) {
      const done = await deps.db.transaction(async (tx) => {
        const [row] = await tx
          .insert(leaderFlags)
          .values({
            leaderId,
            reason: out.reasons.join("; "),
            figures: { ...out.figures, window: out.window, fills: out.fills },
            openedAt: now,
            openedBy: "system",
          })
          .onConflictDoNothing()
          .returning({ id: leaderFlags.id });
        if (!row) return false;
        await tx.insert(auditLog).values({
          actorUserId: null,
          action: "leader_flag.open",
          targetType: "leader",
          targetId: leaderId,
          details: { by: "system", flagId: row.id, reasons: out.reasons },
          at: now,
        });
        return true;
      });
      if (done) {
        opened += 1;
        deps.log.warn({ leaderId, reasons: out.reasons }, "leader flagged: strategy change");
      }
    } else if (
      !out.flagged &&
      flag &&
      now.getTime() - flag.openedAt.getTime() >= rules.recentHours * HOUR
    ) {
      // A whole recent window without a departure: the leader's trading is back within
      // (or has become) their own trailing norm.
      if (
        await closeFlag(deps, flag.id, {
          by: "system",
          actorUserId: null,
          why: `the last ${rules.recentHours} h are within the leader's trailing ${rules.trailingDays} days again`,
        })
      )
        closed += 1;
    }
  }
  return { opened, closed };
}

async function closeFlag(
  deps: Pick<EngineDeps, "db" | "clock">,
  id: string,
  c: { by: string; actorUserId: string | null; why: string },
): Promise<boolean> {
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const rows = await tx
      .update(leaderFlags)
      .set({ closedAt: now, closedBy: c.by, closeReason: c.why })
      .where(and(eq(leaderFlags.id, id), isNull(leaderFlags.closedAt)))
      .returning({ leaderId: leaderFlags.leaderId });
    if (!rows.length) return false;
    await tx.insert(auditLog).values({
      actorUserId: c.actorUserId,
      action: "leader_flag.close",
      targetType: "leader",
      targetId: rows[0]!.leaderId,
      details: { by: c.by, flagId: id, why: c.why },
      at: now,
    });
    return true;
  });
}

/** An admin clears a flag after looking into it (audited with the admin as actor). */
export async function clearLeaderFlag(
  deps: Pick<EngineDeps, "db" | "clock">,
  flagId: string,
  admin: { userId: string; why: string },
): Promise<void> {
  const why = admin.why.trim();
  if (why.length < 3 || why.length > 500)
    throw new CopyError("INVALID_INPUT", "Reason: say in a few words why the flag is cleared.");
  const ok = await closeFlag(deps, flagId, { by: admin.userId, actorUserId: admin.userId, why });
  if (!ok) throw new CopyError("NOT_FOUND", "Flag: there is no open flag with that id.");
}
