import { sql } from "drizzle-orm";
import { leaderVerifications } from "../../../db/schema";
import { verifyHistory, type RecordedFill } from "../../domain/verified";
import type { EngineDeps } from "../deps";

/**
 * Re-checks every leader's recorded history against their broker's own fills (ADR 0036):
 * one query for all leaders' recorded fills, one broker listing per leader account (paper or
 * Alpaca, through the BrokerAdapter), the pure `verifyHistory`, one upsert for all. The web
 * app reads the outcome from leader_verifications and never asks a broker itself.
 */
export async function verifyLeaders(
  deps: Pick<EngineDeps, "db" | "clock" | "log" | "broker">,
): Promise<{ verified: number; unverified: number }> {
  const now = deps.clock.now();
  const leaders = await deps.db.execute<{
    id: string;
    broker: string;
    external_id: string;
    verified_since: Date | string | null;
  }>(sql`
    select l.id, a.broker, a.external_id, v.verified_since
      from leaders l join broker_accounts a on a.id = l.broker_account_id
      left join leader_verifications v on v.leader_id = l.id`);
  const recorded = await deps.db.execute<{
    leader_id: string;
    broker_trade_id: string;
    symbol: string;
    side: "buy" | "sell";
    qty: string;
    price: string;
  }>(sql`
    select leader_id, broker_trade_id, symbol, side, qty, price
      from leader_fills order by leader_id, event_seq`);
  const byLeader = new Map<string, RecordedFill[]>();
  for (const r of recorded)
    byLeader.set(r.leader_id, [
      ...(byLeader.get(r.leader_id) ?? []),
      {
        brokerTradeId: r.broker_trade_id,
        symbol: r.symbol,
        side: r.side,
        qty: r.qty,
        price: r.price,
      },
    ]);
  const rows: (typeof leaderVerifications.$inferInsert)[] = [];
  for (const l of leaders) {
    let reported;
    try {
      reported = await deps.broker(l.broker).listFills(l.external_id);
    } catch (err) {
      // An unreachable broker proves nothing either way: keep the last outcome.
      deps.log.warn({ err, leaderId: l.id }, "verify: broker fills unavailable");
      continue;
    }
    const v = verifyHistory(byLeader.get(l.id) ?? [], reported);
    rows.push({
      leaderId: l.id,
      verified: v.verified,
      fillsChecked: v.checked,
      fillsMatched: v.matched,
      reasons: v.reasons,
      mismatches: v.mismatches,
      checkedAt: now,
      verifiedSince: v.verified ? (l.verified_since ? new Date(l.verified_since) : now) : null,
    });
  }
  if (rows.length)
    await deps.db
      .insert(leaderVerifications)
      .values(rows)
      .onConflictDoUpdate({
        target: leaderVerifications.leaderId,
        set: {
          verified: sql`excluded.verified`,
          fillsChecked: sql`excluded.fills_checked`,
          fillsMatched: sql`excluded.fills_matched`,
          reasons: sql`excluded.reasons`,
          mismatches: sql`excluded.mismatches`,
          checkedAt: sql`excluded.checked_at`,
          verifiedSince: sql`excluded.verified_since`,
        },
      });
  const verified = rows.filter((r) => r.verified).length;
  return { verified, unverified: rows.length - verified };
}
