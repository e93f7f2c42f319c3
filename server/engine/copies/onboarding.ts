import type { Db } from "../../../db/client";
import { brokerAccounts } from "../../../db/schema";
import { recordFunding } from "../book/funding";
import { engineDepsForWeb } from "../web-deps";

/** Paper money every new account starts with in the demo world. */
export const DEMO_STARTING_CASH = "25000";

/**
 * Gives a new user a paper trading account with demo cash. The books change now; the
 * worker opens the account at the paper broker (the web app never calls a broker).
 */
export async function openPaperAccount(
  db: Db,
  userId: string,
  cash: string = DEMO_STARTING_CASH,
): Promise<string> {
  const [acct] = await db
    .insert(brokerAccounts)
    .values({ userId, broker: "paper", externalId: `paper-${userId}` })
    .returning({ id: brokerAccounts.id });
  await recordFunding(engineDepsForWeb(db), {
    brokerAccountId: acct!.id,
    amount: cash,
    by: "onboarding",
    transferAtBroker: true,
  });
  return acct!.id;
}
