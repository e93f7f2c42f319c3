import { and, eq, inArray } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { instrumentAliases, instruments } from "../../../db/schema/instruments";
import { D, isOnStep } from "../../domain/money";

export const ALPACA = "alpaca";

export type CatalogueInstrument = typeof instruments.$inferSelect;

/** Alpaca writes crypto pairs as `BTC/USD` in orders and `BTCUSD` in positions and activities. */
export function compact(brokerSymbol: string): string {
  return brokerSymbol.replace("/", "").toUpperCase();
}

/**
 * Our canonical symbols ↔ Alpaca's, through instrument_aliases (broker "alpaca"). An
 * instrument without an Alpaca alias trades under its own symbol (US equities: `AAPL`).
 */
export class SymbolMap {
  private toBroker = new Map<string, string>();
  private fromBroker = new Map<string, string>();
  private catalogue = new Map<string, CatalogueInstrument>();
  private loadedAt = 0;

  constructor(
    private readonly db: Db,
    private readonly ttlMs = 60_000,
  ) {}

  private async load(force = false): Promise<void> {
    if (!force && this.loadedAt && Date.now() - this.loadedAt < this.ttlMs) return;
    const [rows, aliases] = await Promise.all([
      this.db.select().from(instruments),
      this.db.select().from(instrumentAliases).where(eq(instrumentAliases.broker, ALPACA)),
    ]);
    const toBroker = new Map<string, string>();
    const fromBroker = new Map<string, string>();
    const catalogue = new Map<string, CatalogueInstrument>();
    for (const r of rows) catalogue.set(r.symbol, r);
    for (const a of aliases) {
      if (!toBroker.has(a.symbol) || a.brokerSymbol.includes("/"))
        toBroker.set(a.symbol, a.brokerSymbol);
      fromBroker.set(compact(a.brokerSymbol), a.symbol);
    }
    for (const r of rows)
      if (!toBroker.has(r.symbol)) {
        toBroker.set(r.symbol, r.symbol);
        if (!fromBroker.has(compact(r.symbol))) fromBroker.set(compact(r.symbol), r.symbol);
      }
    this.toBroker = toBroker;
    this.fromBroker = fromBroker;
    this.catalogue = catalogue;
    this.loadedAt = Date.now();
  }

  /** Alpaca's symbol for ours, or null when the instrument is not in our catalogue. */
  async brokerSymbol(symbol: string): Promise<string | null> {
    await this.load();
    if (!this.toBroker.has(symbol)) await this.load(true);
    return this.toBroker.get(symbol) ?? null;
  }

  /** Ours for Alpaca's (either spelling); null = not an instrument we know. */
  async ourSymbol(brokerSymbol: string): Promise<string | null> {
    await this.load();
    const key = compact(brokerSymbol);
    if (!this.fromBroker.has(key)) await this.load(true);
    return this.fromBroker.get(key) ?? null;
  }

  async instrument(symbol: string): Promise<CatalogueInstrument | null> {
    await this.load();
    return this.catalogue.get(symbol) ?? null;
  }
}

/** What GET /v2/assets/{symbol} tells us that matters for an order. */
export type AlpacaAsset = {
  symbol: string;
  class: string;
  status: string;
  tradable: boolean;
  fractionable: boolean;
  min_order_size?: string;
  min_trade_increment?: string;
  price_increment?: string;
};

export type CatalogueFinding = { field: string; ours: string; alpaca: string; message: string };

/**
 * Our catalogue against Alpaca's asset: where they disagree we would send orders Alpaca
 * refuses (or skip ones it would take). Each disagreement is a finding in words.
 */
export function compareAsset(ours: CatalogueInstrument, asset: AlpacaAsset): CatalogueFinding[] {
  const out: CatalogueFinding[] = [];
  const say = (field: string, o: string, a: string, message: string) =>
    out.push({ field, ours: o, alpaca: a, message: `${ours.symbol}: ${message}` });
  if (!asset.tradable || asset.status !== "active")
    say("tradable", "true", String(asset.tradable), "Alpaca does not trade this asset now");
  if (!asset.fractionable && !D(ours.qtyStep).isInteger())
    say(
      "qtyStep",
      ours.qtyStep,
      "1",
      "our step is fractional but Alpaca's asset is not fractionable",
    );
  if (asset.min_trade_increment && !isOnStep(ours.qtyStep, asset.min_trade_increment))
    say(
      "qtyStep",
      ours.qtyStep,
      asset.min_trade_increment,
      "our quantity step is not a multiple of Alpaca's min_trade_increment",
    );
  if (asset.min_order_size && D(ours.minQty).lt(asset.min_order_size))
    say(
      "minQty",
      ours.minQty,
      asset.min_order_size,
      "our minimum is below Alpaca's min_order_size",
    );
  if (asset.price_increment && !isOnStep(ours.tickSize, asset.price_increment))
    say(
      "tickSize",
      ours.tickSize,
      asset.price_increment,
      "our tick is not a multiple of Alpaca's price_increment",
    );
  return out;
}

export async function aliasesFor(db: Db, symbols: string[]) {
  if (symbols.length === 0) return [];
  return db
    .select()
    .from(instrumentAliases)
    .where(and(eq(instrumentAliases.broker, ALPACA), inArray(instrumentAliases.symbol, symbols)));
}
