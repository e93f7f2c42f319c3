import { sql } from "drizzle-orm";
import type { EngineDeps } from "../deps";
import { chargesReadFrom } from "../book/charges-window";
import { ingestLeaderCharge } from "./leader-events";

/**
 * The charges (brokers/types.ts `listCharges`: Alpaca's crypto fees) of every leader whose
 * trading account is at a broker that posts them, each taken from the leader's book once
 * (`ingestLeaderCharge`). Without this a leader trading crypto at Alpaca kept every fee in
 * the book's cash, and the equity and statistics followers read were before costs (ADR 0020).
 * Charges from before the account became the leader's are left out: the book took the
 * account's cash as it was then. A broker that cannot answer is tried again next time.
 * Returns the charges booked.
 */
export async function bookLeaderCharges(deps: EngineDeps): Promise<number> {
  const leaders = await deps.db.execute<{
    leader_id: string;
    account_id: string;
    broker: string;
    external_id: string;
    since: string | null;
    latest: string | null;
  }>(sql`
    select l.id as leader_id, a.id as account_id, a.broker, a.external_id,
           c.since::text as since,
           (select max(x.charged_at) from leader_charges x where x.leader_id = l.id)::text as latest
      from leaders l
      join broker_accounts a on a.id = l.broker_account_id
      left join external_leader_cursors c on c.broker_account_id = a.id
     where a.disconnected_at is null
     order by l.id`);
  const now = deps.clock.now();
  let booked = 0;
  for (const l of leaders) {
    let broker;
    try {
      broker = deps.broker(l.broker);
    } catch {
      continue; // no adapter for this broker in this process: nothing to read charges from
    }
    if (typeof broker.listCharges !== "function") continue;
    const linked = l.since ? new Date(l.since).getTime() : 0;
    const from = chargesReadFrom(l.latest ? new Date(l.latest) : null, now).getTime();
    let charges;
    try {
      charges = await broker.listCharges(l.external_id, new Date(Math.max(from, linked)));
    } catch (err) {
      deps.log.warn(
        { leaderId: l.leader_id, account: l.account_id, error: String(err) },
        "leader's broker charges could not be read",
      );
      continue;
    }
    for (const c of charges) {
      if (c.at.getTime() < linked) continue;
      const seq = await ingestLeaderCharge(deps, {
        leaderId: l.leader_id,
        chargeId: c.tradeId,
        orderId: c.brokerOrderId,
        symbol: c.symbol,
        amount: c.commission,
        at: c.at,
      });
      if (seq !== null) booked++;
    }
  }
  return booked;
}
