import { like } from "drizzle-orm";
import { connect, resolveDatabase } from "../../../../db/client";
import { paperAccounts } from "../../../../db/schema";
import { systemClock } from "../../../domain/clock";
import { PaperBroker } from "../../paper";
import { localGatewayKey } from "../accounts";
import { AlpacaGateway } from "./gateway";

/**
 * The local Alpaca-compatible gateway as a service (`npm run dev` / `npm start` with
 * TANDEM_BROKER=alpaca-local, and the e2e server): on 127.0.0.1:ALPACA_GATEWAY_PORT, backed
 * by the paper broker on the app's database. `POST /local/accounts` opens an account and
 * answers its API key (docs/adr/0022). Accounts opened before a restart keep their keys.
 */
async function main() {
  const port = Number(process.env.ALPACA_GATEWAY_PORT ?? 54330);
  const seed = process.env.TANDEM_GATEWAY_SEED ?? "tandem-local-gateway";
  const database = await resolveDatabase();
  const handle = connect(database.url, { max: 4 });
  const paper = new PaperBroker({ db: handle.db, clock: systemClock, seed: "alpaca-local" });
  const keyFor = (id: string) => localGatewayKey(seed, id);
  const gateway = await AlpacaGateway.start({
    db: handle.db,
    paper,
    port,
    strict: true,
    admin: { keyFor },
  });
  const known = await handle.db
    .select({ id: paperAccounts.id, cash: paperAccounts.cash })
    .from(paperAccounts)
    .where(like(paperAccounts.id, "alpaca-local-%"));
  for (const a of known) await gateway.openAccount(a.id, a.cash, keyFor(a.id));
  const demo = "alpaca-local-demo";
  const k = await gateway.openAccount(demo, "100000", keyFor(demo));
  console.log(
    `[alpaca-gateway] Alpaca-compatible gateway on ${gateway.url} (${known.length} accounts); demo paper account key id ${k.keyId}, secret ${k.secretKey}; more: curl -XPOST ${gateway.url}/local/accounts`,
  );
  // Fills made by the worker's market feed (resting limit orders) become stream messages.
  let reported = 0;
  const timer = setInterval(() => {
    void gateway.pumpAll().catch(() => {});
    if (gateway.violations.length > reported) {
      for (const v of gateway.violations.slice(reported))
        console.error(`[alpaca-gateway] OpenAPI violation: ${JSON.stringify(v)}`);
      reported = gateway.violations.length;
    }
  }, 500);
  const stop = async () => {
    clearInterval(timer);
    await gateway.close();
    await handle.close();
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop());
  process.on("SIGINT", () => void stop());
}

main().catch((err: unknown) => {
  console.error(`[alpaca-gateway] could not start: ${(err as Error).message}`);
  process.exit(1);
});
