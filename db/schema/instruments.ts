import { jsonb, pgEnum, pgTable, primaryKey, text, bigint, index } from "drizzle-orm/pg-core";
import { dec, ts } from "./columns";

export const assetClass = pgEnum("asset_class", ["equity", "etf", "fx", "future", "crypto"]);

/** Weekly session windows in the instrument's exchange time zone; empty `sessions` = 24/7. */
export type TradingHours = {
  timeZone: string;
  sessions: Array<{ days: number[]; open: string; close: string }>;
};

export const instruments = pgTable("instruments", {
  /** Canonical symbol, e.g. "AAPL", "BTC-USD", "ES". */
  symbol: text("symbol").primaryKey(),
  name: text("name").notNull(),
  assetClass: assetClass("asset_class").notNull(),
  currency: text("currency").notNull(),
  tickSize: dec("tick_size").notNull(),
  qtyStep: dec("qty_step").notNull(),
  minQty: dec("min_qty").notNull(),
  minNotional: dec("min_notional").notNull(),
  multiplier: dec("multiplier").notNull().default("1"),
  maxLeverage: dec("max_leverage").notNull().default("1"),
  commissionPerUnit: dec("commission_per_unit").notNull().default("0"),
  tradingHours: jsonb("trading_hours").$type<TradingHours>().notNull(),
});

/** The same instrument is `BTC/USD` at one broker and `BTCUSD` at another. */
export const instrumentAliases = pgTable(
  "instrument_aliases",
  {
    broker: text("broker").notNull(),
    brokerSymbol: text("broker_symbol").notNull(),
    symbol: text("symbol")
      .notNull()
      .references(() => instruments.symbol),
  },
  (t) => [primaryKey({ columns: [t.broker, t.brokerSymbol] })],
);

export const quotes = pgTable("quotes", {
  symbol: text("symbol")
    .primaryKey()
    .references(() => instruments.symbol),
  bid: dec("bid").notNull(),
  ask: dec("ask").notNull(),
  at: ts("at").notNull(),
});

export const candles = pgTable(
  "candles",
  {
    symbol: text("symbol")
      .notNull()
      .references(() => instruments.symbol),
    interval: text("interval").$type<"1m" | "1d">().notNull(),
    openTime: ts("open_time").notNull(),
    open: dec("open").notNull(),
    high: dec("high").notNull(),
    low: dec("low").notNull(),
    close: dec("close").notNull(),
    volume: dec("volume").notNull().default("0"),
    trades: bigint("trades", { mode: "number" }).notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.symbol, t.interval, t.openTime] }),
    index("candles_time_idx").on(t.interval, t.openTime),
  ],
);
