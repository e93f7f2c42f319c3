import { createTestDb } from "../../../test/db";
import { instrumentAliases, instruments } from "../../../db/schema/instruments";
import { systemClock } from "../../domain/clock";
import { AlpacaBroker } from "../alpaca/adapter";
import { AlpacaGateway, type GatewayFault } from "../alpaca/gateway/gateway";
import type { AlpacaCredentials } from "../alpaca/http";
import { PaperBroker } from "../paper/paper-broker";
import type { FaultKind, Harness, InstrumentSpec } from "./contract-suite";
import { TEST_INSTRUMENTS } from "./paper-harness";

/**
 * Test-only: the Alpaca adapter over the local Alpaca-compatible gateway (strict OpenAPI
 * validation on), the gateway backed by a paper broker on a fresh database.
 *
 * The main instrument is a crypto pair known to Alpaca as `TST/USD` (an instrument_aliases
 * row), so every order and report goes through the alias both ways. Commissions are zero:
 * Alpaca reports no commission on fills (equities are commission-free; crypto fees are CFEE
 * activities, not part of a fill).
 */

type InstrumentRow = typeof instruments.$inferInsert;

const base = (symbol: string) => TEST_INSTRUMENTS.find((i) => i.symbol === symbol)!;

export const ALPACA_TEST_INSTRUMENTS: InstrumentRow[] = [
  {
    ...base("TST"),
    symbol: "TST-USD",
    name: "Test coin pair",
    assetClass: "crypto",
    commissionPerUnit: "0",
  },
  { ...base("FUT"), commissionPerUnit: "0" },
  { ...base("CRY"), symbol: "BTC-USD", name: "Bitcoin", commissionPerUnit: "0" },
  { ...base("SHUT") },
  { ...base("NOQ") },
];

const ALIASES = [
  { broker: "alpaca", brokerSymbol: "TST/USD", symbol: "TST-USD" },
  { broker: "alpaca", brokerSymbol: "BTC/USD", symbol: "BTC-USD" },
];

function spec(symbol: string): InstrumentSpec {
  const i = ALPACA_TEST_INSTRUMENTS.find((x) => x.symbol === symbol)!;
  return {
    symbol,
    tickSize: i.tickSize,
    qtyStep: i.qtyStep,
    minQty: i.minQty,
    minNotional: i.minNotional,
    multiplier: i.multiplier ?? "1",
  };
}

/** The contract's fault kinds as the gateway's own faults. */
const FAULTS: Record<FaultKind, GatewayFault> = {
  error_before_accept: "order_500",
  timeout_after_accept: "order_drop_after_accept",
  reject: "order_reject",
  rate_limited: "order_429",
  duplicate_events: "stream_duplicate",
  drop_events: "stream_drop",
};

export type AlpacaHarness = Harness & {
  broker: AlpacaBroker;
  gateway: AlpacaGateway;
  paper: PaperBroker;
  keys: Map<string, AlpacaCredentials>;
  db: Awaited<ReturnType<typeof createTestDb>>;
  /** A second adapter on the same database and gateway (a restarted worker). */
  restart(): AlpacaBroker;
};

let accounts = 0;

export async function makeAlpacaHarness(
  opts: { budgetPerMinute?: number; burst?: number; timeoutMs?: number } = {},
): Promise<AlpacaHarness> {
  const t = await createTestDb();
  await t.db.insert(instruments).values(ALPACA_TEST_INSTRUMENTS);
  await t.db.insert(instrumentAliases).values(ALIASES);
  // Wall-clock time: Alpaca's `after` filters and the catch-up after a gap compare it.
  const paper = new PaperBroker({ db: t.db, clock: systemClock, seed: 42 });
  const gateway = await AlpacaGateway.start({
    db: t.db,
    paper,
    strict: true,
    rateLimitPerMinute: 100_000,
  });
  const keys = new Map<string, AlpacaCredentials>();
  const make = () =>
    new AlpacaBroker({
      db: t.db,
      baseUrl: gateway.url,
      streamUrl: gateway.streamUrl,
      credentials: async (id) => {
        const k = keys.get(id);
        if (!k) throw new Error(`no key for ${id}`);
        return k;
      },
      budget: { perMinute: opts.budgetPerMinute ?? 100_000, burst: opts.burst },
      timeoutMs: opts.timeoutMs ?? 3000,
      streamBackoffMs: [20, 200],
    });
  const broker = make();
  const extra: AlpacaBroker[] = [];
  return {
    adapter: broker,
    broker,
    gateway,
    paper,
    keys,
    db: t,
    restart() {
      const b = make();
      extra.push(b);
      return b;
    },
    main: spec("TST-USD"),
    future: spec("FUT"),
    closedSymbol: "SHUT",
    unquotedSymbol: "NOQ",
    async openAccount(cash) {
      accounts += 1;
      const id = `alp${process.pid}x${accounts}`;
      const k = await gateway.openAccount(id, cash);
      keys.set(id, { keyId: k.keyId, secretKey: k.secretKey });
      return id;
    },
    async setQuote(symbol, bid, ask) {
      // Strictly later than anything before: fills of one order never share an instant.
      await new Promise((r) => setTimeout(r, 2));
      await gateway.setQuote(symbol, bid, ask, new Date());
    },
    setLiquidity: (symbol, q) => paper.setLiquidity(symbol, q),
    async injectFault(accountId, kind, count) {
      gateway.injectFault(accountId, FAULTS[kind], count);
    },
    async close() {
      try {
        await broker.close();
        for (const b of extra) await b.close();
        await gateway.close();
        // A request or response that left the published API is a failure of the gateway.
        if (gateway.violations.length)
          throw new Error(`OpenAPI violations: ${JSON.stringify(gateway.violations.slice(0, 3))}`);
      } finally {
        await t.drop();
      }
    },
  };
}
