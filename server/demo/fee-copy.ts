import { eq } from "drizzle-orm";
import type { Db } from "../../db/client";
import * as s from "../../db/schema";
import { ManualClock } from "../domain/clock";
import { D, fmt } from "../domain/money";
import { startCopy } from "../engine/copies/intents";
import { openPaperAccount } from "../engine/copies/onboarding";
import { bookFill } from "../engine/book/book-fill";
import type { EngineDeps } from "../engine/deps";
import { feesAtMidnight } from "../engine/fees/settle";

export const FEE_DEMO_FOLLOWER = { email: "dana@tandem.test", name: "Dana Okafor" };

/**
 * A demo copy whose last month closed with a gain, so its statement shows a charged
 * performance fee (docs/adr/0060): Dana copies fx-carry since the 2nd of last month with
 * 20 % performance, 2 % a year management and 10 bps platform fees; the copy bought and sold
 * SPY for a 4 % gain, booked by the real bookkeeping core, and every midnight since was run
 * through the real fee settlement. The paper broker did not execute those two trades, so
 * their net is a transfer the worker applies there: the broker's cash then matches the books.
 */
export async function seedFeeChargedCopy(
  db: Db,
  base: EngineDeps,
  opts: { passwordHash: string; now: Date },
): Promise<void> {
  const [leader] = await db.select().from(s.leaders).where(eq(s.leaders.handle, "fx-carry"));
  if (!leader) return;
  const [u] = await db
    .insert(s.users)
    .values({
      ...FEE_DEMO_FOLLOWER,
      displayName: FEE_DEMO_FOLLOWER.name,
      passwordHash: opts.passwordHash,
      role: "follower",
    })
    .returning();
  const accountId = await openPaperAccount(db, u!.id, "25000");
  const monthStart = new Date(Date.UTC(opts.now.getUTCFullYear(), opts.now.getUTCMonth(), 1));
  const prev = new Date(Date.UTC(opts.now.getUTCFullYear(), opts.now.getUTCMonth() - 1, 1));
  const at = (ms: number): EngineDeps => ({ ...base, clock: new ManualClock(new Date(ms)) });
  const day = 86_400_000;
  const started = prev.getTime() + day + 15 * 3_600_000;
  const copyId = await startCopy(at(started), {
    followerId: u!.id,
    leaderId: leader.id,
    brokerAccountId: accountId,
    sizing: { mode: "proportional", allocation: "10000" },
    fees: {
      performanceFeePct: "20",
      managementFeePctYear: "2",
      platformFeeBps: "10",
      period: "month",
    },
    agreementVersion: "2026-11",
  });
  const [q] = await db.select().from(s.quotes).where(eq(s.quotes.symbol, "SPY"));
  const buyPrice = D(q?.bid ?? "500").toDecimalPlaces(2);
  const sellPrice = buyPrice.times("1.04").toDecimalPlaces(2);
  const qty = D(5000).div(buyPrice).floor();
  const trade = async (n: number, side: "buy" | "sell", price: string, ms: number) => {
    const when = new Date(ms);
    await db.transaction(async (tx) => {
      const [order] = await tx
        .insert(s.orders)
        .values({
          clientOrderId: `seed-fees-${copyId}-${n}`,
          brokerAccountId: accountId,
          relationshipId: copyId,
          symbol: "SPY",
          side,
          qty: fmt(qty),
          status: "accepted",
          origin: "copy",
          createdAt: when,
          updatedAt: when,
        })
        .returning();
      await bookFill(
        tx,
        order!,
        { tradeId: `seed-fees-${copyId}-${n}`, qty: fmt(qty), price, commission: "0", at: when },
        when,
      );
    });
  };
  await trade(1, "buy", fmt(buyPrice), started + 3_600_000);
  await trade(2, "sell", fmt(sellPrice), started + 10 * day);
  await db.insert(s.brokerTransfers).values({
    brokerAccountId: accountId,
    amount: fmt(sellPrice.minus(buyPrice).times(qty)),
    createdAt: new Date(started + 10 * day),
  });
  for (let m = started - (started % day) + day; m <= monthStart.getTime(); m += day)
    await feesAtMidnight(at(m), new Date(m));
}
