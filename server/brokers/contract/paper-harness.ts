import { createTestDb } from "../../../test/db";
import { instruments } from "../../../db/schema/instruments";
import { ManualClock } from "../../domain/clock";
import type { Harness, InstrumentSpec } from "./contract-suite";
import { PaperBroker, type PaperBrokerOptions } from "../paper/paper-broker";

/** Test-only fixtures: a fresh database with a few instruments, and a paper broker on it. */

type InstrumentRow = typeof instruments.$inferInsert;
const always = { timeZone: "UTC", sessions: [] };

export const TEST_INSTRUMENTS: InstrumentRow[] = [
  {
    symbol: "TST",
    name: "Test equity",
    assetClass: "equity",
    currency: "USD",
    tickSize: "0.01",
    qtyStep: "1",
    minQty: "2",
    minNotional: "50",
    multiplier: "1",
    maxLeverage: "2",
    commissionPerUnit: "0.005",
    tradingHours: always,
  },
  {
    symbol: "FUT",
    name: "Test future",
    assetClass: "future",
    currency: "USD",
    tickSize: "0.25",
    qtyStep: "1",
    minQty: "1",
    minNotional: "0",
    multiplier: "50",
    maxLeverage: "10",
    commissionPerUnit: "1.2",
    tradingHours: always,
  },
  {
    symbol: "CRY",
    name: "Test coin",
    assetClass: "crypto",
    currency: "USD",
    tickSize: "0.01",
    qtyStep: "0.0001",
    minQty: "0.0001",
    minNotional: "1",
    multiplier: "1",
    maxLeverage: "4",
    commissionPerUnit: "0",
    tradingHours: always,
  },
  {
    // A session on no day: never open.
    symbol: "SHUT",
    name: "Closed market",
    assetClass: "equity",
    currency: "USD",
    tickSize: "0.01",
    qtyStep: "1",
    minQty: "1",
    minNotional: "0",
    multiplier: "1",
    maxLeverage: "1",
    commissionPerUnit: "0",
    tradingHours: { timeZone: "UTC", sessions: [{ days: [], open: "00:00", close: "23:59" }] },
  },
  {
    symbol: "NOQ",
    name: "Never quoted",
    assetClass: "equity",
    currency: "USD",
    tickSize: "0.01",
    qtyStep: "1",
    minQty: "1",
    minNotional: "0",
    multiplier: "1",
    maxLeverage: "1",
    commissionPerUnit: "0",
    tradingHours: always,
  },
  {
    symbol: "NYSE",
    name: "New York hours",
    assetClass: "equity",
    currency: "USD",
    tickSize: "0.01",
    qtyStep: "1",
    minQty: "1",
    minNotional: "0",
    multiplier: "1",
    maxLeverage: "1",
    commissionPerUnit: "0",
    tradingHours: {
      timeZone: "America/New_York",
      sessions: [{ days: [1, 2, 3, 4, 5], open: "09:30", close: "16:00" }],
    },
  },
];

function spec(symbol: string): InstrumentSpec {
  const i = TEST_INSTRUMENTS.find((x) => x.symbol === symbol)!;
  return {
    symbol,
    tickSize: i.tickSize,
    qtyStep: i.qtyStep,
    minQty: i.minQty,
    minNotional: i.minNotional,
    multiplier: i.multiplier ?? "1",
  };
}

export type PaperHarness = Harness & {
  broker: PaperBroker;
  clock: ManualClock;
  /** Another broker instance on the same database (a "restart"). */
  restart(opts?: Partial<PaperBrokerOptions>): PaperBroker;
  db: Awaited<ReturnType<typeof createTestDb>>;
};

let accounts = 0;

export async function makePaperHarness(
  opts: Partial<PaperBrokerOptions> = {},
): Promise<PaperHarness> {
  const t = await createTestDb();
  await t.db.insert(instruments).values(TEST_INSTRUMENTS);
  // Monday 2026-01-05 09:30 in New York.
  const clock = new ManualClock("2026-01-05T14:30:00Z");
  const make = (o: Partial<PaperBrokerOptions> = {}) =>
    new PaperBroker({ db: t.db, clock, seed: 42, ...opts, ...o });
  const broker = make();
  return {
    adapter: broker,
    broker,
    clock,
    db: t,
    restart: make,
    main: spec("TST"),
    future: spec("FUT"),
    closedSymbol: "SHUT",
    unquotedSymbol: "NOQ",
    async openAccount(cash) {
      accounts += 1;
      const id = `acct${accounts}`;
      await broker.openAccount({ accountId: id, cash });
      return id;
    },
    async setQuote(symbol, bid, ask) {
      clock.advance(1000);
      await broker.onQuote({ symbol, bid, ask, at: clock.now() });
    },
    setLiquidity: (symbol, q) => broker.setLiquidity(symbol, q),
    injectFault: (accountId, kind, count) => broker.injectFault(accountId, kind, count),
    close: () => t.drop(),
  };
}
