import { inject } from "vitest";
import postgres from "postgres";
import { connect, type DbHandle } from "../db/client";
import { withDatabase } from "./global-setup";

let counter = 0;

/**
 * A fresh, migrated database for one test file (or one test): a clone of the template made
 * in global setup. Real PostgreSQL, never an in-memory fake.
 */
export async function createTestDb(): Promise<DbHandle & { url: string; drop(): Promise<void> }> {
  const adminUrl = inject("adminUrl");
  const template = inject("templateDb");
  const name = `tandem_t_${process.ppid}_${process.pid}_${Date.now().toString(36)}_${counter++}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database "${name}" template "${template}"`);
    // A test database outlives no crash of its server, so a commit need not wait for the disk
    // (about 3.5 ms a flush here, and the suites commit tens of thousands of times). Locks,
    // constraints and visibility are unchanged; only durability across a server crash goes.
    await admin.unsafe(`alter database "${name}" set synchronous_commit = off`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(adminUrl, name);
  const handle = connect(url, { max: 5 });
  return {
    ...handle,
    url,
    async drop() {
      await handle.close();
      const a = postgres(adminUrl, { max: 1, onnotice: () => {} });
      try {
        await a.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await a.end();
      }
    },
  };
}
