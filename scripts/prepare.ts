import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { count } from "drizzle-orm";
import { connect, resolveDatabase } from "../db/client";
import { applyMigrations } from "../db/migrate";
import { users } from "../db/schema";
import { DEMO_CREDENTIALS, seedDemoWorld } from "../server/demo/seed";
import { loadEnv } from "../server/env";

/**
 * What `npm run dev` and `npm start` do before the web app and worker start: validate the
 * environment, bring up the database (embedded unless DATABASE_URL), migrate, seed an
 * empty database, and make sure an auth secret exists.
 */
export async function prepare() {
  const env = loadEnv();
  const db = await resolveDatabase();
  await applyMigrations(db.url);
  const handle = connect(db.url, { max: 2 });
  try {
    const [row] = await handle.db.select({ n: count() }).from(users);
    if ((row?.n ?? 0) === 0) {
      console.log("Empty database: seeding the demo world…");
      const t0 = Date.now();
      await seedDemoWorld(handle.db);
      console.log(`Demo world seeded in ${((Date.now() - t0) / 1000).toFixed(1)} s.`);
    }
  } finally {
    await handle.close();
  }
  const secret = env.NEXTAUTH_SECRET ?? localSecret();
  return { env, db, secret };
}

function localSecret(): string {
  const dir = path.resolve(process.env.TANDEM_DATA_DIR ?? ".data");
  const file = path.join(dir, "auth-secret");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  mkdirSync(dir, { recursive: true });
  const secret = randomBytes(32).toString("base64url");
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

export function printWelcome(port: number) {
  console.log(
    `\nTandem is running at http://localhost:${port}\n\nDemo accounts (password for all: ${DEMO_CREDENTIALS.password}):`,
  );
  for (const a of DEMO_CREDENTIALS.accounts) console.log(`  ${a.role.padEnd(9)} ${a.email}`);
  console.log(
    `Staff and leaders sign in with a second factor: authenticator key ${DEMO_CREDENTIALS.totpSecret}`,
  );
  console.log("");
}
