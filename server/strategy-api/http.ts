import "server-only";
import type { Db } from "../../db/client";
import { createStrategyApi } from "./handler";

/** One handler per database handle (the web process has one), so its limiter is shared. */
const perDb = new WeakMap<object, (req: Request) => Promise<Response>>();
export async function strategyApiFor(db: Db) {
  let h = perDb.get(db);
  if (!h) {
    h = createStrategyApi({ db });
    perDb.set(db, h);
  }
  return h;
}
