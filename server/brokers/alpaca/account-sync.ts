import { and, eq, isNotNull, isNull } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { auditLog, brokerAccounts, circuitBreakers } from "../../../db/schema";
import { D } from "../../domain/money";
import { BrokerError } from "../types";
import type { AlpacaBroker } from "./adapter";

/**
 * What each connected Alpaca account says about itself, kept on the account (sync state, in
 * words its owner reads on the accounts page and the dashboard) — and, when Alpaca refuses
 * orders there (trading blocked, account blocked or not active, pattern-day-trader protection
 * below $25,000 of equity), an open circuit breaker of scope `broker` keyed
 * `alpaca:<broker account id>`: increases on that one account stop, with the reason, until
 * Alpaca says it trades again, when this closes the breaker it opened (docs/adr/0024).
 */

export const ACCOUNT_BREAKER_BY = "engine:alpaca-account-sync";
export const accountBreakerKey = (brokerAccountId: string) => `alpaca:${brokerAccountId}`;

/** Alpaca refuses day trades of a PDT-flagged account under this equity (FINRA's rule). */
const PDT_MIN_EQUITY = "25000";

export type SyncOutcome = { brokerAccountId: string; state: "ok" | "refused" | "error" };

export async function syncAlpacaAccounts(
  db: Db,
  adapter: Pick<AlpacaBroker, "verifyAccount">,
  now: () => Date = () => new Date(),
): Promise<SyncOutcome[]> {
  const accounts = await db
    .select()
    .from(brokerAccounts)
    .where(
      and(
        eq(brokerAccounts.broker, "alpaca"),
        isNotNull(brokerAccounts.apiSecretSealed),
        isNull(brokerAccounts.disconnectedAt),
      ),
    )
    .orderBy(brokerAccounts.id);
  const out: SyncOutcome[] = [];
  for (const a of accounts) {
    let state: SyncOutcome["state"];
    let problem: string | null = null;
    try {
      const v = await adapter.verifyAccount(a.externalId);
      const pdt = v.patternDayTrader && D(v.equity).lt(PDT_MIN_EQUITY);
      if (v.ok && !pdt) state = "ok";
      else {
        state = "refused";
        const why = [
          v.problem,
          pdt ? "pattern-day-trader protection: equity is below $25,000" : null,
        ].filter(Boolean);
        problem = `Alpaca refuses orders on this account (${why.join("; ")}). Tandem sends no new or larger positions to it until this clears; closing orders are still sent.`;
      }
    } catch (err) {
      state = "error";
      problem =
        err instanceof BrokerError && err.kind === "rejected"
          ? "Alpaca no longer accepts this account's API key. Disconnect it and connect it again with a new key."
          : "Alpaca could not be reached at the last check; Tandem keeps trying.";
    }
    await db.transaction(async (tx) => {
      await tx
        .update(brokerAccounts)
        .set({ syncState: state, syncProblem: problem, syncedAt: now() })
        .where(eq(brokerAccounts.id, a.id));
      const key = accountBreakerKey(a.id);
      const [open] = await tx
        .select()
        .from(circuitBreakers)
        .where(
          and(
            eq(circuitBreakers.scope, "broker"),
            eq(circuitBreakers.scopeKey, key),
            isNull(circuitBreakers.closedAt),
          ),
        )
        .for("update");
      if (state === "refused" && !open) {
        await tx.insert(circuitBreakers).values({
          scope: "broker",
          scopeKey: key,
          reason: problem!,
          openedBy: ACCOUNT_BREAKER_BY,
          openedAt: now(),
        });
        await tx.insert(auditLog).values({
          action: "breaker.open",
          targetType: "breaker:broker",
          targetId: key,
          details: { reason: problem, by: ACCOUNT_BREAKER_BY },
          at: now(),
        });
      }
      // Only the breaker this opened is closed here; one staff opened stays theirs.
      if (state === "ok" && open && open.openedBy === ACCOUNT_BREAKER_BY) {
        await tx
          .update(circuitBreakers)
          .set({ closedAt: now(), closedBy: ACCOUNT_BREAKER_BY })
          .where(eq(circuitBreakers.id, open.id));
        await tx.insert(auditLog).values({
          action: "breaker.close",
          targetType: "breaker:broker",
          targetId: key,
          details: { by: ACCOUNT_BREAKER_BY },
          at: now(),
        });
      }
    });
    out.push({ brokerAccountId: a.id, state });
  }
  return out;
}
