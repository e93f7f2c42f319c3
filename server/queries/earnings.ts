import "server-only";
import { sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { D, fmt, ZERO } from "../domain/money";

/*
 * A leader's earnings: the leader's part of each management and performance fee (after the
 * platform's share, docs/adr/0060), per period and per copy, `paid` once its cash reached
 * the leader's earnings account at the broker, `pending` until then, `owed` while the
 * follower's external broker account owes it. Read from copy_fees and fee_cash_moves, the
 * rows written with the ledger journals.
 */

export type EarningsRow = {
  period: string;
  copyId: string;
  follower: string;
  kind: "management" | "performance";
  fee: string;
  earned: string;
  state: "paid" | "pending" | "owed";
  at: string;
};

export async function leaderEarnings(db: Db, leaderId: string) {
  const rows = await db.execute<{
    period: string;
    copy_id: string;
    follower: string;
    kind: "management" | "performance";
    fee: string;
    earned: string;
    state: "paid" | "pending" | "owed";
    at: Date | string;
  }>(sql`
    select f.period, f.relationship_id as copy_id, u.display_name as follower, f.kind,
           sum(f.amount)::text as fee,
           sum(coalesce(m.leader_amount, f.amount))::text as earned,
           case when m.kind = 'moved' then 'paid' when m.kind = 'receivable' then 'owed'
                else 'pending' end as state,
           max(f.at) as at
      from copy_fees f
      join copy_relationships c on c.id = f.relationship_id
      join users u on u.id = c.follower_id
      left join fee_cash_moves m on m.copy_fee_id = f.id
     where c.leader_id = ${leaderId} and f.kind in ('management', 'performance')
     group by 1, 2, 3, 4, 7
     order by max(f.at) desc, f.relationship_id, f.kind
     limit 500`);
  const list: EarningsRow[] = rows.map((r) => ({
    period: r.period,
    copyId: r.copy_id,
    follower: r.follower,
    kind: r.kind,
    fee: fmt(r.fee),
    earned: fmt(r.earned),
    state: r.state,
    at: new Date(r.at).toISOString(),
  }));
  const total = (state: EarningsRow["state"]) =>
    fmt(list.filter((r) => r.state === state).reduce((s, r) => s.plus(r.earned), ZERO));
  const periods = [...new Set(list.map((r) => r.period))].map((period) => ({
    period,
    earned: fmt(list.filter((r) => r.period === period).reduce((s, r) => s.plus(r.earned), D(0))),
  }));
  return {
    rows: list,
    periods,
    paid: total("paid"),
    pending: total("pending"),
    owed: total("owed"),
  };
}
