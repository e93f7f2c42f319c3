import type { Db } from "../../db/client";
import { systemClock } from "../domain/clock";
import { createRng } from "../domain/random";
import { DEFAULT_CONFIG, silentLog, type EngineDeps } from "./deps";

/**
 * Engine dependencies for the web app, which records intents and never talks to a broker
 * (DESIGN.md): any attempt to reach one is a bug and fails loudly.
 */
export function engineDepsForWeb(db: Db): EngineDeps {
  return {
    db,
    broker: (name) => {
      throw new Error(
        `the web app must not call broker ${name}: record an intent for the worker instead`,
      );
    },
    clock: systemClock,
    rng: createRng(`web-${process.pid}`),
    log: silentLog,
    config: DEFAULT_CONFIG,
    owner: `web-${process.pid}`,
  };
}
