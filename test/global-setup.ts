import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import postgres from "postgres";
import type { TestProject } from "vitest/node";
import { startThrowawayServer } from "../db/embedded";
import { applyMigrations } from "../db/migrate";
import { freePort } from "./free-port";

/**
 * One PostgreSQL for the whole run: DATABASE_URL when set, else an embedded server in a
 * temporary directory. Migrations are applied once to a template database; each test file
 * clones it (CREATE DATABASE … TEMPLATE), which takes milliseconds and isolates files.
 */
export default async function setup(project: TestProject) {
  let adminUrl: string;
  let stopServer = async () => {};
  if (process.env.DATABASE_URL) {
    adminUrl = process.env.DATABASE_URL;
  } else {
    const dir = mkdtempSync(path.join(os.tmpdir(), "tandem-test-pg-"));
    const server = await startThrowawayServer(dir, await freePort());
    adminUrl = server.url;
    stopServer = server.stop;
  }
  const template = `tandem_tpl_${process.pid}_${Date.now().toString(36)}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${template}"`);
  await applyMigrations(withDatabase(adminUrl, template));
  project.provide("adminUrl", adminUrl);
  project.provide("templateDb", template);

  return async () => {
    const leftovers = await admin<{ datname: string }[]>`
      select datname from pg_database where datname like ${"tandem_t_" + process.pid + "_%"}`;
    for (const { datname } of leftovers)
      await admin.unsafe(`drop database if exists "${datname}" with (force)`);
    await admin.unsafe(`drop database if exists "${template}" with (force)`);
    await admin.end();
    await stopServer();
  };
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

declare module "vitest" {
  export interface ProvidedContext {
    adminUrl: string;
    templateDb: string;
  }
}
