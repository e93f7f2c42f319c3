import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { createTestDb } from "../../test/db";
import { instrumentAliases, instruments } from "../../db/schema/instruments";
import { D, isOnStep } from "../domain/money";
import {
  brokerSymbolFor,
  CATALOGUE,
  catalogueEntry,
  getInstrument,
  resolveSymbol,
  upsertCatalogue,
  type CatalogueEntry,
} from "./catalogue";
import { compileTradingHours } from "./hours";

describe("catalogue metadata", () => {
  it("holds 20 instruments across every asset class with unique symbols and aliases", () => {
    expect(CATALOGUE).toHaveLength(20);
    expect(new Set(CATALOGUE.map((c) => c.symbol)).size).toBe(20);
    const count = (cls: string) => CATALOGUE.filter((c) => c.assetClass === cls).length;
    expect([count("equity"), count("etf"), count("fx"), count("future"), count("crypto")]).toEqual([
      6, 4, 3, 4, 3,
    ]);
    for (const broker of ["paper", "alt"] as const)
      expect(new Set(CATALOGUE.map((c) => c.aliases[broker])).size).toBe(20);
  });

  it.each(CATALOGUE.map((c) => [c.symbol, c] as [string, CatalogueEntry]))(
    "%s is internally consistent",
    (_s, c) => {
      expect(isOnStep(c.sim.startPrice, c.tickSize)).toBe(true);
      expect(isOnStep(c.minQty, c.qtyStep)).toBe(true);
      expect(D(c.tickSize).gt(0) && D(c.qtyStep).gt(0) && D(c.multiplier).gt(0)).toBe(true);
      expect(c.sim.annualVol).toBeGreaterThan(0.03);
      expect(c.sim.annualVol).toBeLessThan(1.5);
      expect(c.sim.spreadBps).toBeGreaterThan(0);
      expect(() => compileTradingHours(c.tradingHours)).not.toThrow();
      const lev = { equity: "2", etf: "2", fx: "30", future: "20", crypto: "2" }[c.assetClass];
      expect(c.maxLeverage).toBe(lev);
    },
  );

  it("has the contract specifications that matter for sizing", () => {
    const spec = (s: string) => {
      const c = catalogueEntry(s);
      return [c.tickSize, c.multiplier, c.currency, c.qtyStep];
    };
    expect(spec("ES")).toEqual(["0.25", "50", "USD", "1"]);
    expect(spec("NQ")).toEqual(["0.25", "20", "USD", "1"]);
    expect(spec("MES")).toEqual(["0.25", "5", "USD", "1"]);
    expect(spec("CL")).toEqual(["0.01", "1000", "USD", "1"]);
    expect(spec("USDJPY")).toEqual(["0.001", "1", "JPY", "1000"]);
    expect(spec("EURUSD")).toEqual(["0.00001", "1", "USD", "1000"]);
    expect(spec("BTC-USD")).toEqual(["0.01", "1", "USD", "0.0001"]);
    expect(catalogueEntry("BTC-USD").tradingHours.sessions).toEqual([]);
    expect(catalogueEntry("BTC-USD").aliases).toEqual({ paper: "BTC/USD", alt: "BTCUSD" });
    expect(() => catalogueEntry("DOGE")).toThrow(/"DOGE" is not in the instrument catalogue/);
  });
});

describe("catalogue in the database", () => {
  let t: Awaited<ReturnType<typeof createTestDb>>;
  beforeAll(async () => {
    t = await createTestDb();
  });
  afterAll(async () => {
    await t.drop();
  });

  it("upserts instruments and aliases idempotently", async () => {
    expect(await upsertCatalogue(t.db)).toEqual({ instruments: 20, aliases: 40 });
    expect(await upsertCatalogue(t.db)).toEqual({ instruments: 20, aliases: 40 });
    expect(await t.db.$count(instruments)).toBe(20);
    expect(await t.db.$count(instrumentAliases)).toBe(40);
    const es = await getInstrument(t.db, "ES");
    expect(es).toMatchObject({ multiplier: "50", tickSize: "0.25", assetClass: "future" });
    expect(es.tradingHours).toEqual(catalogueEntry("ES").tradingHours);
  });

  it("updates changed metadata and drops an alias the catalogue no longer lists", async () => {
    const changed = CATALOGUE.map((c) =>
      c.symbol === "SOL-USD"
        ? { ...c, qtyStep: "0.01", aliases: { paper: "SOL/USD", alt: "SOL-USDT" } }
        : c,
    );
    await upsertCatalogue(t.db, changed);
    expect((await getInstrument(t.db, "SOL-USD")).qtyStep).toBe("0.01");
    expect(await resolveSymbol(t.db, "alt", "SOL-USDT")).toBe("SOL-USD");
    await expect(resolveSymbol(t.db, "alt", "SOLUSD")).rejects.toThrow(
      /no instrument is mapped to "SOLUSD" at broker "alt"/,
    );
    await upsertCatalogue(t.db);
    expect((await getInstrument(t.db, "SOL-USD")).qtyStep).toBe("0.001");
    expect(await t.db.$count(instrumentAliases, eq(instrumentAliases.symbol, "SOL-USD"))).toBe(2);
  });

  it("resolves broker symbols both ways", async () => {
    expect(await resolveSymbol(t.db, "paper", "BTC/USD")).toBe("BTC-USD");
    expect(await resolveSymbol(t.db, "alt", "BTCUSD")).toBe("BTC-USD");
    expect(await resolveSymbol(t.db, "paper", "EUR/USD")).toBe("EURUSD");
    expect(await resolveSymbol(t.db, "alt", "/ES")).toBe("ES");
    expect(await brokerSymbolFor(t.db, "alt", "BTC-USD")).toBe("BTCUSD");
    await expect(resolveSymbol(t.db, "paper", "BTCUSD")).rejects.toThrow(
      /no instrument is mapped to "BTCUSD" at broker "paper"/,
    );
    await expect(resolveSymbol(t.db, "ibkr", "AAPL")).rejects.toMatchObject({
      code: "UNKNOWN_BROKER_SYMBOL",
    });
    await expect(getInstrument(t.db, "NOPE")).rejects.toThrow(/unknown instrument "NOPE"/);
  });
});
