import "server-only";
import { desc, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { platformFeeSettings } from "../../db/schema";
import { fmt } from "../domain/money";

/*
 * The platform's fee revenue per month: platform fees, the platform's share of leader fees,
 * what leaders earned, and how much of it is still to move at the broker or owed by
 * followers at external brokers (docs/adr/0060). Staff only (the router checks).
 */
export async function platformRevenue(db: Db) {
  const rows = await db.execute<{
    month: string;
    platform_fees: string;
    platform_share: string;
    leader_share: string;
    pending: string;
    owed: string;
    fees: string;
  }>(sql`
    select to_char(f.at at time zone 'UTC', 'YYYY-MM') as month,
           coalesce(sum(f.amount) filter (where f.kind = 'platform'), 0)::text as platform_fees,
           coalesce(sum(m.platform_amount) filter (where f.kind <> 'platform'), 0)::text as platform_share,
           coalesce(sum(coalesce(m.leader_amount, f.amount)) filter (where f.kind <> 'platform'), 0)::text as leader_share,
           coalesce(sum(f.amount) filter (where m.kind = 'pending' or m.kind is null), 0)::text as pending,
           coalesce(sum(f.amount) filter (where m.kind = 'receivable'), 0)::text as owed,
           count(*)::text as fees
      from copy_fees f
      left join fee_cash_moves m on m.copy_fee_id = f.id
     group by 1 order by 1 desc limit 36`);
  const [settings] = await db
    .select()
    .from(platformFeeSettings)
    .orderBy(desc(platformFeeSettings.id))
    .limit(1);
  return {
    settings: {
      platformFeeBps: settings?.platformFeeBps ?? "0",
      platformSharePct: settings?.platformSharePct ?? "0",
      at: settings?.at.toISOString() ?? null,
    },
    months: rows.map((r) => ({
      month: r.month,
      platformFees: fmt(r.platform_fees),
      platformShare: fmt(r.platform_share),
      leaderShare: fmt(r.leader_share),
      pending: fmt(r.pending),
      owed: fmt(r.owed),
      fees: Number(r.fees),
    })),
  };
}
