import { and, asc, eq, inArray } from "drizzle-orm";
import type { Db } from "../../db/client";
import * as s from "../../db/schema";
import { generateHistory, type DailyBar, type InstrumentSpec, type LeaderStyle } from "./history";
import { hashPassword } from "../auth/password";
import { createRng } from "../domain/random";
import { backfillHistory } from "../market/candles";
import { upsertCatalogue } from "../market/catalogue";
import { startCopy, type CopyTerms } from "../engine/copies/intents";
import { seedFeeChargedCopy } from "./fee-copy";
import { recordFunding } from "../engine/book/funding";
import { ensureLeaderBook } from "../engine/ingest/leader-book";
import type { Executor } from "../engine/core/streams";
import { DEMO_TOTP_SECRET, enrolTotpConfirmed } from "../auth/totp";
import { secretBox } from "../brokers/alpaca/accounts";
import { createLeaderProfile } from "../queries/applications";
import { openPaperAccount } from "../engine/copies/onboarding";
import { engineDepsForWeb } from "../engine/web-deps";

/**
 * The demo world: staff, leaders with distinct styles and months of history, followers.
 * Deterministic for a given seed and `now`, so screenshots and tests see the same world.
 */
export const DEMO_CREDENTIALS = {
  password: "tandem-demo-2026",
  /**
   * Staff and leaders need a second factor (docs/adr/0050): every demo one has an
   * authenticator app with this public key, printed at start; e2e/fixtures.ts computes codes.
   */
  totpSecret: DEMO_TOTP_SECRET,
  accounts: [
    { email: "admin@tandem.test", role: "admin" as const, name: "Ada Admin" },
    { email: "support@tandem.test", role: "support" as const, name: "Sam Support" },
    { email: "follower@tandem.test", role: "follower" as const, name: "Frida Follower" },
    { email: "bob@tandem.test", role: "follower" as const, name: "Bob Bennett" },
    { email: "carol@tandem.test", role: "follower" as const, name: "Carol Chen" },
  ],
};

type DemoLeader = {
  handle: string;
  name: string;
  bio: string;
  strategy: string;
  cash: string;
  historyDays: number;
  style: LeaderStyle;
  performanceFeePct: string;
};

export const DEMO_LEADERS: DemoLeader[] = [
  {
    handle: "steady-etf",
    name: "Grace Whitfield",
    bio: "Former pension-fund analyst. Slow, diversified, boring on purpose.",
    strategy: "Long-only ETF swing trading with small positions; holds for weeks.",
    cash: "250000",
    historyDays: 400,
    performanceFeePct: "10",
    style: {
      symbols: ["SPY", "QQQ", "GLD", "TLT"],
      positionFraction: "0.2",
      rule: "mean_reversion",
      allowShort: false,
      openProbability: 0.08,
      maxHoldDays: 25,
    },
  },
  {
    handle: "tech-momentum",
    name: "Marcus Ortega",
    bio: "Trades large-cap US tech on trend signals.",
    strategy: "Momentum in US mega-cap stocks, long and short, days to two weeks.",
    cash: "100000",
    historyDays: 240,
    performanceFeePct: "20",
    style: {
      symbols: ["AAPL", "MSFT", "NVDA", "TSLA", "AMZN"],
      positionFraction: "0.25",
      rule: "momentum",
      allowShort: true,
      openProbability: 0.15,
      maxHoldDays: 10,
    },
  },
  {
    handle: "crypto-swing",
    name: "Lena Kowalski",
    bio: "Crypto since 2017. Volatile by nature; sized accordingly.",
    strategy: "Swing trades in BTC, ETH and SOL around the trend, long-biased.",
    cash: "50000",
    historyDays: 180,
    performanceFeePct: "25",
    style: {
      symbols: ["BTC-USD", "ETH-USD", "SOL-USD"],
      positionFraction: "0.3",
      rule: "swing",
      allowShort: false,
      openProbability: 0.12,
      maxHoldDays: 8,
    },
  },
  {
    handle: "fx-carry",
    name: "Tomás Reyes",
    bio: "Macro FX trader; reads central banks so you don't have to.",
    strategy: "Mean reversion in the majors with tight risk, both directions.",
    cash: "80000",
    historyDays: 150,
    performanceFeePct: "15",
    style: {
      symbols: ["EURUSD", "GBPUSD"],
      positionFraction: "0.5",
      rule: "mean_reversion",
      allowShort: true,
      openProbability: 0.2,
      maxHoldDays: 6,
    },
  },
  {
    handle: "new-futures",
    name: "Priya Natarajan",
    bio: "Index futures day trader, new to Tandem.",
    strategy: "Short-term index futures (micro E-mini), flat most nights.",
    cash: "60000",
    historyDays: 12,
    performanceFeePct: "20",
    style: {
      symbols: ["MES"],
      positionFraction: "0.3",
      rule: "momentum",
      allowShort: true,
      openProbability: 0.5,
      maxHoldDays: 2,
    },
  },
];

export async function seedDemoWorld(
  db: Db,
  opts: { now?: Date; seed?: number } = {},
): Promise<void> {
  const now = opts.now ?? new Date();
  const rng = createRng(opts.seed ?? 20261124);
  await upsertCatalogue(db);
  const allSymbols = [...new Set(DEMO_LEADERS.flatMap((l) => l.style.symbols))];
  const maxDays = Math.max(...DEMO_LEADERS.map((l) => l.historyDays)) + 30;
  await backfillHistory(db, {
    symbols: allSymbols,
    days: maxDays,
    end: now,
    seed: opts.seed ?? 20261124,
  });

  const passwordHash = await hashPassword(DEMO_CREDENTIALS.password);
  const instrumentRows = await db
    .select()
    .from(s.instruments)
    .where(inArray(s.instruments.symbol, allSymbols));
  const specs = new Map<string, InstrumentSpec>(instrumentRows.map((i) => [i.symbol, i]));

  const funding: Array<{ userId: string; cash: string }> = [];
  const records: TrackRecord[] = [];
  await db.transaction(async (tx) => {
    for (const a of DEMO_CREDENTIALS.accounts) {
      const [u] = await tx
        .insert(s.users)
        .values({ email: a.email, passwordHash, displayName: a.name, role: a.role })
        .returning();
      if (a.role !== "follower") await enrolTotpConfirmed(tx, secretBox(), u!.id, DEMO_TOTP_SECRET);
      if (a.role === "follower")
        funding.push({ userId: u!.id, cash: a.email.startsWith("follower") ? "50000" : "25000" });
    }
    for (const l of DEMO_LEADERS) {
      const email = `${l.handle}@tandem.test`;
      const [u] = await tx
        .insert(s.users)
        .values({ email, passwordHash, displayName: l.name, role: "leader" })
        .returning();
      await enrolTotpConfirmed(tx, secretBox(), u!.id, DEMO_TOTP_SECRET);
      const [acct] = await tx
        .insert(s.brokerAccounts)
        .values({ userId: u!.id, broker: "paper", externalId: `paper-${u!.id}` })
        .returning();
      const start = new Date(now.getTime() - l.historyDays * 86_400_000);
      const bars = new Map<string, DailyBar[]>();
      for (const symbol of l.style.symbols) {
        const rows = await tx
          .select({ day: s.candles.openTime, close: s.candles.close })
          .from(s.candles)
          .where(and(eq(s.candles.symbol, symbol), eq(s.candles.interval, "1d")))
          .orderBy(asc(s.candles.openTime));
        bars.set(
          symbol,
          rows.filter((r) => r.day >= start && r.day <= now),
        );
      }
      const history = generateHistory({
        style: l.style,
        startCash: l.cash,
        bars,
        instruments: specs,
        rng: rng.fork(l.handle),
      });
      records.push({ demo: l, userId: u!.id, brokerAccountId: acct!.id, start, history });
      funding.push({ userId: u!.id, cash: history.endCash });
    }
  });

  // Paper accounts and their money go through the engine like any other account's. A
  // leader's account is funded before it becomes a leader's: its cash is where the track
  // record ends, already in every history snapshot. Funded as a leader's, it would be a
  // deposit today (a leader_cash flow on today's snapshot), and the day's return
  // (equity − inflow) / equity − 1 = −100 % would take the whole track record with it.
  const deps = engineDepsForWeb(db);
  const accountOf = new Map<string, string>();
  for (const f of funding) {
    const [acct] = await db
      .select()
      .from(s.brokerAccounts)
      .where(eq(s.brokerAccounts.userId, f.userId));
    const brokerAccountId = acct?.id ?? (await openPaperAccount(db, f.userId, f.cash));
    if (acct)
      await recordFunding(deps, {
        brokerAccountId,
        amount: f.cash,
        by: "seed",
        transferAtBroker: true,
      });
    accountOf.set(f.userId, brokerAccountId);
  }
  await db.transaction(async (tx) => {
    for (const r of records) await writeTrackRecord(tx, r, now);
  });
  // A copy whose last month was charged a performance fee, so statements show one.
  await seedFeeChargedCopy(db, deps, { passwordHash, now });
  // Two demo followers already copy someone, so dashboards have something to show.
  for (const [email, handle, terms] of DEMO_COPIES) {
    const [u] = await db.select().from(s.users).where(eq(s.users.email, email));
    const [l] = await db.select().from(s.leaders).where(eq(s.leaders.handle, handle));
    await startCopy(deps, {
      followerId: u!.id,
      leaderId: l!.id,
      brokerAccountId: accountOf.get(u!.id)!,
      agreementVersion: "2026-11",
      ...terms,
    });
  }
}

const DEMO_COPIES: Array<[string, string, Pick<CopyTerms, "sizing" | "risk">]> = [
  ["bob@tandem.test", "steady-etf", { sizing: { mode: "proportional", allocation: "10000" } }],
  [
    "carol@tandem.test",
    "crypto-swing",
    { sizing: { mode: "proportional", allocation: "5000" }, risk: { copyStopLossPct: "25" } },
  ],
];

type TrackRecord = {
  demo: DemoLeader;
  userId: string;
  brokerAccountId: string;
  start: Date;
  history: ReturnType<typeof generateHistory>;
};

/** The leader profile, its history (fills, events, daily snapshots) and its book. */
async function writeTrackRecord(tx: Executor, r: TrackRecord, now: Date): Promise<void> {
  const { demo: l, history } = r;
  const leader = await createLeaderProfile(tx, {
    userId: r.userId,
    handle: l.handle,
    displayName: l.name,
    bio: l.bio,
    strategy: l.strategy,
    brokerAccountId: r.brokerAccountId,
    performanceFeePct: l.performanceFeePct,
    trackRecordStartedAt: r.start,
  });
  const stream = `leader:${leader.id}`;
  if (history.fills.length > 0) {
    await tx.insert(s.events).values(
      history.fills.map((f, i) => ({
        stream,
        seq: i + 1,
        type: "leader_fill",
        payload: { fillId: `hist-${l.handle}-${i + 1}`, ...f, at: f.at.toISOString() },
        at: f.at,
      })),
    );
    await tx.insert(s.leaderFills).values(
      history.fills.map((f, i) => ({
        leaderId: leader.id,
        brokerTradeId: `hist-${l.handle}-${i + 1}`,
        brokerOrderId: `hist-order-${l.handle}-${i + 1}`,
        symbol: f.symbol,
        side: f.side,
        qty: f.qty,
        price: f.price,
        positionAfter: f.positionAfter,
        eventSeq: i + 1,
        filledAt: f.at,
        recordedAt: f.at,
      })),
    );
  }
  await tx.insert(s.eventStreams).values({ stream, lastSeq: history.fills.length });
  // History is the track record, not something to copy: replication starts after it.
  await tx
    .insert(s.replicationCursors)
    .values({ leaderId: leader.id, lastSeq: history.fills.length, updatedAt: now });
  if (history.snapshots.length > 0) {
    await tx.insert(s.equitySnapshots).values(
      history.snapshots.map((snap) => ({
        ownerType: "leader" as const,
        ownerId: leader.id,
        day: snap.day,
        equity: snap.equity,
        netFlow: "0",
      })),
    );
  }
  await ensureLeaderBook(tx, leader.id, history.endCash, now);
}
