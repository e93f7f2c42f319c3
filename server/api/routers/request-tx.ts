import "server-only";
import { sql } from "drizzle-orm";
import type { Db } from "../../../db/client";
import type { ClientInfo } from "../../auth/client-info";

/**
 * Runs one mutation as one transaction: its writes and their audit rows commit together or
 * not at all (a bio with a lone surrogate used to fail after the write, leaving the bio and
 * no audit row). Nested `transaction()` calls in the engine become savepoints of this one.
 *
 * The caller's address and user agent are set for the transaction only; the audit_log
 * trigger copies them into every audit row written inside it, whichever layer writes it.
 */
export async function inRequestTx<T>(
  ctx: { db: Db; client?: ClientInfo | null },
  fn: (db: Db) => Promise<T>,
): Promise<T> {
  return ctx.db.transaction(async (tx) => {
    if (ctx.client) {
      await tx.execute(
        sql`select set_config('tandem.ip', ${ctx.client.ip}, true), set_config('tandem.user_agent', ${ctx.client.userAgent}, true)`,
      );
    }
    // A transaction has the same query surface as the database handle; savepoints nest.
    return fn(tx as unknown as Db);
  });
}
