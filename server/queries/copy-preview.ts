import "server-only";
import { and, desc, eq, inArray, sql } from "drizzle-orm";
import type { z } from "zod";
import type { Db } from "../../db/client";
import { equitySnapshots, instruments, leaderFills, leaders } from "../../db/schema";
import { defaultLimits } from "../domain/copy-defaults";
import { D, fmt, ZERO } from "../domain/money";
import { planCopyOrder } from "../domain/planner";
import { leaderEquity } from "../engine/ingest/leader-book";
import { availableToAllocate, primaryAccount } from "./accounts";
import { copyPreviewInput } from "../domain/inputs";
import type { SizingInput } from "./copies";
import { amountProblem } from "./copy-amount";

type LeaderRow = typeof leaders.$inferSelect;

/**
 * The worked example behind the copy form, from the follower's own amount: the ratio the
 * engine would fix now, and what the follower would have bought for the leader's recent
 * opening trades ("when this leader buys 100 AAPL you buy 5").
 */
export async function copyPreview(
  db: Db,
  viewerId: string | null,
  raw: z.input<typeof copyPreviewInput>,
) {
  const input = copyPreviewInput.parse(raw);
  const [leader] = await db.select().from(leaders).where(eq(leaders.id, input.leaderId));
  if (!leader) return null;
  const account = viewerId ? await primaryAccount(db, viewerId) : null;
  const funds = account ? await availableToAllocate(db, account.id) : null;
  const currency = account?.currency ?? "USD";
  const { equity, source } = await sizingEquity(db, leader);
  const s = input.sizing;
  const ratio =
    s.mode === "proportional"
      ? equity.gt(0)
        ? D(s.amount).div(equity)
        : null
      : s.mode === "multiplier"
        ? D(s.factor)
        : null;
  const examples = await workedExamples(db, leader, s, ratio);
  return {
    leaderEquity: fmt(equity.toDecimalPlaces(2)),
    equitySource: source,
    ratio: ratio ? fmt(ratio.toSignificantDigits(6)) : null,
    examples,
    funds,
    hasAccount: account !== null,
    currency,
    minAllocation: leader.minAllocation,
    amountError: amountProblem({
      amount: s.amount,
      minAllocation: leader.minAllocation,
      available: funds ? funds.available : "0",
      currency,
    }),
    defaults: defaultLimits(s.amount),
  };
}

/** Leader equity the engine sizes with (cash + positions at market); the last snapshot if no book yet. */
async function sizingEquity(
  db: Db,
  leader: LeaderRow,
): Promise<{ equity: ReturnType<typeof D>; source: "book" | "snapshot" }> {
  const book = await leaderEquity(db, leader.id);
  if (book.gt(0)) return { equity: book, source: "book" };
  const [snap] = await db
    .select({ equity: equitySnapshots.equity })
    .from(equitySnapshots)
    .where(and(eq(equitySnapshots.ownerType, "leader"), eq(equitySnapshots.ownerId, leader.id)))
    .orderBy(desc(equitySnapshots.day))
    .limit(1);
  return { equity: D(snap?.equity ?? 0), source: "snapshot" };
}

async function workedExamples(
  db: Db,
  leader: LeaderRow,
  s: SizingInput,
  ratio: ReturnType<typeof D> | null,
) {
  // The leader's most recent opening fill (from flat) per symbol, up to three symbols.
  const opens = await db.execute<{
    symbol: string;
    qty: string;
    price: string;
    side: "buy" | "sell";
  }>(sql`
    select distinct on (symbol) symbol, qty::text, price::text, side
      from ${leaderFills}
     where leader_id = ${leader.id} and abs(position_after) = qty
     order by symbol, event_seq desc`);
  const picked = [...opens].slice(0, 3);
  if (picked.length === 0) return [];
  const specs = await db
    .select()
    .from(instruments)
    .where(
      inArray(
        instruments.symbol,
        picked.map((p) => p.symbol),
      ),
    );
  const bySymbol = new Map(specs.map((i) => [i.symbol, i]));
  return picked.map((o) => {
    const inst = bySymbol.get(o.symbol)!;
    const unit = D(o.price).times(inst.multiplier);
    // The engine's own planner, for a new copy that is flat when the leader opens: the
    // example shows exactly what the fan-out would order (sizing and minimum size).
    const leaderQty = o.side === "buy" ? D(o.qty) : D(o.qty).neg();
    const plan = planCopyOrder({
      sizing: {
        mode: s.mode,
        ratio: s.mode === "fixed_notional" ? null : (ratio ?? ZERO),
        notional: s.mode === "fixed_notional" ? s.notional : null,
      },
      leader: { positionBefore: 0, positionAfter: leaderQty },
      leaderPrice: o.price,
      copy: { status: "active", position: 0, openQty: 0, openPositions: 0 },
      instrument: inst,
      quote: { bid: o.price, ask: o.price },
      funds: unit.times(o.qty).times(1000).plus(1),
      limits: {},
      leaderCopyable: true,
      breakerOpen: null,
      dailyLoss: null,
      onInsufficientFunds: "reduce",
    });
    const qty = plan.orderQty.abs();
    const notional = qty.times(unit);
    const tooSmall = qty.isZero();
    return {
      symbol: o.symbol,
      side: o.side,
      leaderQty: o.qty,
      price: o.price,
      leaderNotional: fmt(D(o.qty).times(unit).toDecimalPlaces(2)),
      followerQty: fmt(qty),
      followerNotional: fmt(notional.toDecimalPlaces(2)),
      currency: inst.currency,
      tooSmall,
      minQty: inst.minQty,
      minNotional: inst.minNotional,
    };
  });
}
