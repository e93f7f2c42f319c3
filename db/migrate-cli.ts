import { resolveDatabase } from "./client";
import { applyMigrations } from "./migrate";

const db = await resolveDatabase();
await applyMigrations(db.url);
console.log("Migrations applied.");
await db.embedded?.stop();
