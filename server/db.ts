import { connect, resolveDatabase, type Db, type DbHandle } from "../db/client";

/**
 * The web process's database handle, created once per process (kept on globalThis so that
 * dev-mode module reloads do not open a new pool each time).
 */
const holder = globalThis as unknown as { __tandemDb?: Promise<DbHandle> };

export function getDbHandle(): Promise<DbHandle> {
  holder.__tandemDb ??= resolveDatabase().then(({ url }) => connect(url, { max: 10 }));
  return holder.__tandemDb;
}

export async function getDb(): Promise<Db> {
  return (await getDbHandle()).db;
}
