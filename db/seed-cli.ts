import { connect, resolveDatabase } from "./client";
import { applyMigrations } from "./migrate";
import { DEMO_CREDENTIALS, seedDemoWorld } from "./seed";

const db = await resolveDatabase();
await applyMigrations(db.url);
const handle = connect(db.url, { max: 2 });
await seedDemoWorld(handle.db);
await handle.close();
console.log(`Demo world seeded. Password for every demo account: ${DEMO_CREDENTIALS.password}`);
await db.embedded?.stop();
