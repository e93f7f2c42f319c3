import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import path from "node:path";
import * as schema from "./schema";
import { ensureEmbeddedServer, type EmbeddedServer } from "./embedded";
import { preparingClient } from "./prepared-statements";

export type Db = PostgresJsDatabase<typeof schema>;
export type Sql = postgres.Sql;
export type DbHandle = { db: Db; sql: Sql; close(): Promise<void> };

export function connect(url: string, opts: { max?: number } = {}): DbHandle {
  const sql = postgres(url, {
    max: opts.max ?? 10,
    onnotice: () => {},
    // numeric stays a string (postgres.js default); bigint columns are mapped by Drizzle.
  });
  // Drizzle's queries as prepared statements (db/prepared-statements.ts).
  const db = drizzle(preparingClient(sql), { schema });
  return { db, sql, close: () => sql.end({ timeout: 5 }) };
}

export const DEFAULT_EMBEDDED_PORT = 54329;

/**
 * DATABASE_URL if set; otherwise the embedded server in `.data/` (started if nobody has
 * started it yet). Returns the server handle so its owner can stop it on exit.
 */
export async function resolveDatabase(
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ url: string; embedded: EmbeddedServer | null }> {
  if (env.DATABASE_URL) return { url: env.DATABASE_URL, embedded: null };
  const embedded = await ensureEmbeddedServer({
    dataDir: path.resolve(env.TANDEM_DATA_DIR ?? ".data"),
    port: Number(env.EMBEDDED_PG_PORT ?? DEFAULT_EMBEDDED_PORT),
    database: "tandem",
  });
  return { url: embedded.url, embedded };
}
