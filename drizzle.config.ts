import { defineConfig } from "drizzle-kit";

// Generation only needs the schema; applying migrations goes through db/migrate.ts so the
// embedded server is started when DATABASE_URL is unset.
export default defineConfig({
  dialect: "postgresql",
  schema: "./db/schema/index.ts",
  out: "./db/migrations",
  dbCredentials: { url: process.env.DATABASE_URL ?? "postgres://localhost/unused" },
  strict: true,
});
