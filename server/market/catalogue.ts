import { and, eq, inArray, notInArray, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { instrumentAliases, instruments, type TradingHours } from "../../db/schema/instruments";
import { DomainError } from "../domain/money";

export { isMarketOpen, weeklyOpenMinutes } from "./hours";

export type InstrumentRow = typeof instruments.$inferSelect;

/** Parameters of the simulated market; they live in code, not in the database. */
export type SimParams = {
  /** Typical price, decimal string on the tick: where backfilled history ends and the feed starts. */
  startPrice: string;
  /** Annualized volatility of log returns, in trading time (e.g. 0.25 = 25%). */
  annualVol: number;
  /** Quoted bid–ask spread in basis points of mid; the feed never quotes less than one tick. */
  spreadBps: number;
  /** Typical daily volume in units (shares, contracts, coins); 0 where none is published (spot FX). */
  avgDailyVolume: number;
};

export const BROKERS = ["paper", "alt"] as const;
export type BrokerName = (typeof BROKERS)[number];

export type CatalogueEntry = InstrumentRow & {
  sim: SimParams;
  aliases: Record<BrokerName, string>;
};

// ---- trading hours ----------------------------------------------------------------------

const US_EQUITY_HOURS: TradingHours = {
  timeZone: "America/New_York",
  sessions: [{ days: [1, 2, 3, 4, 5], open: "09:30", close: "16:00" }],
};

/** Spot FX: Sunday 17:00 New York to Friday 17:00 New York, continuously. */
const FX_HOURS: TradingHours = {
  timeZone: "America/New_York",
  sessions: [
    { days: [0], open: "17:00", close: "24:00" },
    { days: [1, 2, 3, 4], open: "00:00", close: "24:00" },
    { days: [5], open: "00:00", close: "17:00" },
  ],
};

/** CME Globex (equity index and NYMEX crude): Sunday–Friday 17:00–16:00 Chicago, a daily one-hour halt. */
const CME_HOURS: TradingHours = {
  timeZone: "America/Chicago",
  sessions: [{ days: [0, 1, 2, 3, 4], open: "17:00", close: "16:00" }],
};

const ALWAYS: TradingHours = { timeZone: "UTC", sessions: [] };

// ---- instruments ------------------------------------------------------------------------

type Sim = [startPrice: string, annualVol: number, spreadBps: number, avgDailyVolume: number];

function usStock(
  symbol: string,
  name: string,
  assetClass: "equity" | "etf",
  [startPrice, annualVol, spreadBps, avgDailyVolume]: Sim,
): CatalogueEntry {
  return {
    symbol,
    name,
    assetClass,
    currency: "USD",
    tickSize: "0.01",
    qtyStep: "1", // whole shares: fractional shares are a broker feature, not an exchange one
    minQty: "1",
    minNotional: "1",
    multiplier: "1",
    maxLeverage: "2", // Reg T initial margin
    commissionPerUnit: "0.005", // per share, the common US retail-pro schedule
    tradingHours: US_EQUITY_HOURS,
    sim: { startPrice, annualVol, spreadBps, avgDailyVolume },
    aliases: { paper: symbol, alt: `${symbol}.US` },
  };
}

/** Spot FX, quantity in units of the base currency, prices and notional in the quote currency. */
function fxPair(
  base: string,
  quote: string,
  name: string,
  o: { tick: string; minNotional: string; commission: string },
  [startPrice, annualVol, spreadBps]: Sim,
): CatalogueEntry {
  return {
    symbol: `${base}${quote}`,
    name,
    assetClass: "fx",
    currency: quote,
    tickSize: o.tick, // a pipette: 0.00001, or 0.001 for JPY pairs
    qtyStep: "1000", // a micro lot
    minQty: "1000",
    minNotional: o.minNotional,
    multiplier: "1",
    maxLeverage: "30", // ESMA retail cap for major pairs
    commissionPerUnit: o.commission, // ≈ USD 20 per million base units, in the quote currency
    tradingHours: FX_HOURS,
    sim: { startPrice, annualVol, spreadBps, avgDailyVolume: 0 }, // OTC: no consolidated volume
    aliases: { paper: `${base}/${quote}`, alt: `${base}${quote}` },
  };
}

function future(
  symbol: string,
  name: string,
  o: { tick: string; multiplier: string; commission: string },
  [startPrice, annualVol, spreadBps, avgDailyVolume]: Sim,
): CatalogueEntry {
  return {
    symbol,
    name,
    assetClass: "future",
    currency: "USD",
    tickSize: o.tick,
    qtyStep: "1", // whole contracts
    minQty: "1",
    minNotional: "0", // the contract is the minimum
    multiplier: o.multiplier,
    maxLeverage: "20", // roughly notional / initial margin for index futures
    commissionPerUnit: o.commission, // per contract, exchange + clearing + broker
    tradingHours: CME_HOURS,
    sim: { startPrice, annualVol, spreadBps, avgDailyVolume },
    aliases: { paper: symbol, alt: `/${symbol}` },
  };
}

function crypto(
  base: string,
  name: string,
  o: { qtyStep: string; commission: string },
  [startPrice, annualVol, spreadBps, avgDailyVolume]: Sim,
): CatalogueEntry {
  return {
    symbol: `${base}-USD`,
    name,
    assetClass: "crypto",
    currency: "USD",
    tickSize: "0.01",
    qtyStep: o.qtyStep,
    minQty: o.qtyStep,
    minNotional: "10",
    multiplier: "1",
    maxLeverage: "2",
    // The schema charges per unit; this is ≈ 5 bps of the typical price. Exchanges charge a
    // percentage of notional, so the effective rate drifts as the price moves.
    commissionPerUnit: o.commission,
    tradingHours: ALWAYS,
    sim: { startPrice, annualVol, spreadBps, avgDailyVolume },
    aliases: { paper: `${base}/USD`, alt: `${base}USD` },
  };
}

/** The demo world's instruments: 6 US equities, 4 ETFs, 3 FX pairs, 4 futures, 3 cryptocurrencies. */
export const CATALOGUE: readonly CatalogueEntry[] = [
  usStock("AAPL", "Apple Inc.", "equity", ["195", 0.27, 1.0, 55_000_000]),
  usStock("MSFT", "Microsoft Corporation", "equity", ["420", 0.24, 1.0, 20_000_000]),
  usStock("NVDA", "NVIDIA Corporation", "equity", ["125", 0.5, 1.0, 250_000_000]),
  usStock("TSLA", "Tesla, Inc.", "equity", ["250", 0.55, 1.5, 90_000_000]),
  usStock("AMZN", "Amazon.com, Inc.", "equity", ["185", 0.3, 1.0, 40_000_000]),
  usStock("JPM", "JPMorgan Chase & Co.", "equity", ["205", 0.22, 1.5, 9_000_000]),
  usStock("SPY", "SPDR S&P 500 ETF Trust", "etf", ["560", 0.15, 0.4, 60_000_000]),
  usStock("QQQ", "Invesco QQQ Trust", "etf", ["480", 0.2, 0.5, 40_000_000]),
  usStock("GLD", "SPDR Gold Shares", "etf", ["220", 0.14, 1.0, 8_000_000]),
  usStock("TLT", "iShares 20+ Year Treasury Bond ETF", "etf", ["92", 0.16, 1.2, 35_000_000]),
  fxPair(
    "EUR",
    "USD",
    "Euro / US Dollar",
    { tick: "0.00001", minNotional: "1000", commission: "0.00002" },
    ["1.085", 0.07, 0.8, 0],
  ),
  fxPair(
    "GBP",
    "USD",
    "British Pound / US Dollar",
    { tick: "0.00001", minNotional: "1000", commission: "0.00002" },
    ["1.27", 0.08, 1.0, 0],
  ),
  fxPair(
    "USD",
    "JPY",
    "US Dollar / Japanese Yen",
    { tick: "0.001", minNotional: "100000", commission: "0.003" },
    ["150", 0.1, 1.0, 0],
  ),
  future("ES", "E-mini S&P 500", { tick: "0.25", multiplier: "50", commission: "2.25" }, [
    "5600",
    0.16,
    0.4,
    1_500_000,
  ]),
  future("NQ", "E-mini Nasdaq-100", { tick: "0.25", multiplier: "20", commission: "2.25" }, [
    "19800",
    0.21,
    0.15,
    600_000,
  ]),
  future("MES", "Micro E-mini S&P 500", { tick: "0.25", multiplier: "5", commission: "0.62" }, [
    "5600",
    0.16,
    0.4,
    1_200_000,
  ]),
  future("CL", "Crude Oil (WTI)", { tick: "0.01", multiplier: "1000", commission: "2.50" }, [
    "75",
    0.35,
    1.3,
    350_000,
  ]),
  crypto("BTC", "Bitcoin", { qtyStep: "0.0001", commission: "30" }, ["65000", 0.6, 1.0, 25_000]),
  crypto("ETH", "Ether", { qtyStep: "0.0001", commission: "1.5" }, ["3200", 0.75, 1.5, 300_000]),
  crypto("SOL", "Solana", { qtyStep: "0.001", commission: "0.07" }, ["150", 0.95, 2.5, 3_000_000]),
];

export function catalogueEntry(
  symbol: string,
  catalogue: readonly CatalogueEntry[] = CATALOGUE,
): CatalogueEntry {
  const e = catalogue.find((c) => c.symbol === symbol);
  if (!e) throw new DomainError("UNKNOWN_SYMBOL", `"${symbol}" is not in the instrument catalogue`);
  return e;
}

/** The database columns of a catalogue entry (its simulator parameters stay in code). */
export function toInstrumentRow({
  sim: _sim,
  aliases: _aliases,
  ...row
}: CatalogueEntry): InstrumentRow {
  return row;
}

/**
 * Inserts or updates every instrument and its broker aliases, in one transaction. Aliases of
 * these instruments at these brokers that the catalogue no longer lists are removed, so a
 * renamed broker symbol cannot keep resolving. Idempotent.
 */
export async function upsertCatalogue(
  db: Db,
  catalogue: readonly CatalogueEntry[] = CATALOGUE,
): Promise<{ instruments: number; aliases: number }> {
  const rows = catalogue.map(toInstrumentRow);
  const aliases = catalogue.flatMap((c) =>
    (Object.entries(c.aliases) as Array<[BrokerName, string]>).map(([broker, brokerSymbol]) => ({
      broker,
      brokerSymbol,
      symbol: c.symbol,
    })),
  );
  await db.transaction(async (tx) => {
    await tx
      .insert(instruments)
      .values(rows)
      .onConflictDoUpdate({
        target: instruments.symbol,
        set: {
          name: sql`excluded.name`,
          assetClass: sql`excluded.asset_class`,
          currency: sql`excluded.currency`,
          tickSize: sql`excluded.tick_size`,
          qtyStep: sql`excluded.qty_step`,
          minQty: sql`excluded.min_qty`,
          minNotional: sql`excluded.min_notional`,
          multiplier: sql`excluded.multiplier`,
          maxLeverage: sql`excluded.max_leverage`,
          commissionPerUnit: sql`excluded.commission_per_unit`,
          tradingHours: sql`excluded.trading_hours`,
        },
      });
    for (const broker of new Set(aliases.map((a) => a.broker))) {
      const keep = aliases.filter((a) => a.broker === broker).map((a) => a.brokerSymbol);
      await tx.delete(instrumentAliases).where(
        and(
          eq(instrumentAliases.broker, broker),
          inArray(
            instrumentAliases.symbol,
            rows.map((r) => r.symbol),
          ),
          notInArray(instrumentAliases.brokerSymbol, keep),
        ),
      );
    }
    await tx
      .insert(instrumentAliases)
      .values(aliases)
      .onConflictDoUpdate({
        target: [instrumentAliases.broker, instrumentAliases.brokerSymbol],
        set: { symbol: sql`excluded.symbol` },
      });
  });
  return { instruments: rows.length, aliases: aliases.length };
}

/** Canonical symbol of a broker's symbol, e.g. ("paper", "BTC/USD") → "BTC-USD". */
export async function resolveSymbol(db: Db, broker: string, brokerSymbol: string): Promise<string> {
  const [row] = await db
    .select({ symbol: instrumentAliases.symbol })
    .from(instrumentAliases)
    .where(
      and(eq(instrumentAliases.broker, broker), eq(instrumentAliases.brokerSymbol, brokerSymbol)),
    );
  if (!row) {
    throw new DomainError(
      "UNKNOWN_BROKER_SYMBOL",
      `no instrument is mapped to ${JSON.stringify(brokerSymbol)} at broker ${JSON.stringify(broker)}`,
    );
  }
  return row.symbol;
}

/** The broker's symbol for a canonical symbol, e.g. ("alt", "BTC-USD") → "BTCUSD". */
export async function brokerSymbolFor(db: Db, broker: string, symbol: string): Promise<string> {
  const [row] = await db
    .select({ brokerSymbol: instrumentAliases.brokerSymbol })
    .from(instrumentAliases)
    .where(and(eq(instrumentAliases.broker, broker), eq(instrumentAliases.symbol, symbol)))
    .orderBy(instrumentAliases.brokerSymbol)
    .limit(1);
  if (!row) {
    throw new DomainError(
      "UNKNOWN_BROKER_SYMBOL",
      `instrument ${JSON.stringify(symbol)} has no symbol at broker ${JSON.stringify(broker)}`,
    );
  }
  return row.brokerSymbol;
}

/** One instrument's row, or a clear error naming the symbol. */
export async function getInstrument(db: Db, symbol: string): Promise<InstrumentRow> {
  const [row] = await db.select().from(instruments).where(eq(instruments.symbol, symbol));
  if (!row) throw new DomainError("UNKNOWN_SYMBOL", `unknown instrument ${JSON.stringify(symbol)}`);
  return row;
}
