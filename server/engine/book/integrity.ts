import { sql } from "drizzle-orm";
import type { Db } from "../../../db/client";

/*
 * The bookkeeping's referential integrity, checked as a query instead of per row (ADR 0070,
 * and ADR 0071 for orders and copy decisions).
 * `fills` and `postings` are append-only and carry no foreign keys: every row is written by
 * the booking functions in the same transaction as the order, journal and ledger account it
 * names, and a per-row key check was 40 % of the database's booking time. What the keys
 * guaranteed is asserted here instead, by the replay, scenario, chaos and multi-worker
 * suites after every run, so a bookkeeping bug still fails loudly, just not at the insert.
 */

const CHECKS: Array<{ what: string; query: ReturnType<typeof sql> }> = [
  {
    what: "postings of a journal that does not exist",
    query: sql`select count(*)::int as n from postings p
                where not exists (select 1 from journals j where j.id = p.journal_id)`,
  },
  {
    what: "postings to a ledger account that does not exist",
    query: sql`select count(*)::int as n from postings p
                where not exists (select 1 from ledger_accounts l where l.id = p.ledger_account_id)`,
  },
  {
    what: "journals whose postings do not sum to zero in a currency",
    query: sql`select count(*)::int as n from (select 1 from postings
                group by journal_id, currency having sum(amount) <> 0) u`,
  },
  {
    what: "fills of an order that does not exist or belongs to another account",
    query: sql`select count(*)::int as n from fills f
                where not exists (select 1 from orders o
                                   where o.id = f.order_id and o.broker_account_id = f.broker_account_id)`,
  },
  // ADR 0071: orders and decisions carry no foreign keys either.
  {
    what: "orders of a broker account that does not exist",
    query: sql`select count(*)::int as n from orders o
                where not exists (select 1 from broker_accounts a where a.id = o.broker_account_id)`,
  },
  {
    what: "orders of a copy that does not exist or trades another account",
    query: sql`select count(*)::int as n from orders o
                where o.relationship_id is not null
                  and not exists (select 1 from copy_relationships c
                                   where c.id = o.relationship_id and c.broker_account_id = o.broker_account_id)`,
  },
  {
    what: "orders in an instrument that does not exist",
    query: sql`select count(*)::int as n from orders o
                where not exists (select 1 from instruments i where i.symbol = o.symbol)`,
  },
  {
    what: "decisions of a copy that does not exist",
    query: sql`select count(*)::int as n from copy_decisions d
                where not exists (select 1 from copy_relationships c where c.id = d.relationship_id)`,
  },
];

/** What is wrong with the books, in words; empty when every check holds. */
export async function bookkeepingIntegrityProblems(db: Db): Promise<string[]> {
  const problems: string[] = [];
  for (const c of CHECKS) {
    const [row] = await db.execute<{ n: number }>(c.query);
    const n = Number(row?.n ?? 0);
    if (n > 0) problems.push(`${n} ${c.what}`);
  }
  return problems;
}
