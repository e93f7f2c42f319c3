import { migrate } from "drizzle-orm/postgres-js/migrator";
import path from "node:path";
import { connect } from "./client";

// Resolved from the working directory (the repository root for every script, test and the
// app), because inside the Next.js server bundle `import.meta.url` no longer points here.
export const MIGRATIONS_DIR = path.resolve(process.cwd(), "db/migrations");

/**
 * Applies committed migrations. Web and worker may start together: an advisory lock makes
 * the second wait for the first instead of racing on the same DDL.
 */
export async function applyMigrations(
  url: string,
  migrationsFolder = MIGRATIONS_DIR,
): Promise<void> {
  const handle = connect(url, { max: 1 });
  try {
    await handle.sql`select pg_advisory_lock(727274)`;
    try {
      await migrate(handle.db, { migrationsFolder });
    } finally {
      await handle.sql`select pg_advisory_unlock(727274)`;
    }
  } finally {
    await handle.close();
  }
}
