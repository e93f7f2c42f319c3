import { expect, type Page } from "@playwright/test";
import postgres from "postgres";
import { urlFor } from "../db/embedded";

/**
 * What the journeys share: calls as the page makes them, console watching, sideways scroll,
 * and the e2e server's own database.
 */
export type Json = Record<string, unknown>;

const dbUrl =
  process.env.DATABASE_URL ?? urlFor(Number(process.env.E2E_PG_PORT ?? 54339), "tandem");

/**
 * One short connection to the e2e server's database, closed afterwards: for a spec that sets
 * up or checks what an admin tool or the worker would, without leaving a pool open per file.
 */
export async function withDb<T>(fn: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
  try {
    return await fn(sql);
  } finally {
    await sql.end();
  }
}

/** A tRPC call from inside the page, with its cookies: what the browser itself would send. */
export async function call<T = Json>(
  page: Page,
  path: string,
  input: unknown,
  kind: "query" | "mutation" = "mutation",
): Promise<T> {
  const res = await page.evaluate(
    async ({ path, input, kind }) => {
      const body = JSON.stringify({ json: input });
      const r =
        kind === "mutation"
          ? await fetch(`/api/trpc/${path}`, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body,
            })
          : await fetch(`/api/trpc/${path}?input=${encodeURIComponent(body)}`);
      return { status: r.status, body: (await r.json()) as Json };
    },
    { path, input, kind },
  );
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return (res.body as { result: { data: { json: T } } }).result.data.json;
}

/**
 * Fails the test on any console error or uncaught exception (hydration #418 included), with
 * one exception by design: the password step of a two-step sign-in (docs/adr/0050). next-auth
 * answers it with 401 carrying the pending token for the second step, and Chromium logs every
 * 401 as "Failed to load resource". Only that one URL with that one status is let through.
 */
export function watchConsole(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() !== "error") return;
    const passwordStep =
      /status of 401/.test(m.text()) &&
      new URL(m.location().url || "http://x/").pathname === "/api/auth/callback/credentials";
    if (!passwordStep) errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(e.message));
  return errors;
}

export async function noSideways(page: Page) {
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - window.innerWidth,
  );
  expect(overflow, "the page scrolls sideways").toBeLessThanOrEqual(1);
}

/**
 * Starts a multiplier copy of a demo leader through the API, as the copy form would: the
 * current agreement version, consent, market orders at most 5 % worse than the leader's.
 * For journeys whose subject is what happens after the copy starts, not the form itself.
 */
export async function startCopyByApi(
  page: Page,
  handle: string,
  opts: { amount: string; factor: string; maxSymbolExposure: string; copyStopLossPct?: string },
): Promise<{ id: string; leader: { id: string; displayName: string } }> {
  const { leader } = await call<{ leader: { id: string; displayName: string } }>(
    page,
    "leaders.profile",
    { handle },
    "query",
  );
  const agreementVersion = await call<string>(page, "copies.agreementVersion", undefined, "query");
  const { id } = await call<{ id: string }>(page, "copies.start", {
    leaderId: leader.id,
    sizing: { mode: "multiplier", amount: opts.amount, factor: opts.factor },
    limits: {
      copyStopLossPct: opts.copyStopLossPct ?? null,
      maxSymbolExposure: opts.maxSymbolExposure,
      maxOpenPositions: 10,
      maxSlippageBps: 500,
      dailyLossLimit: null,
    },
    onInsufficientFunds: "reduce",
    copyOpenPositions: false,
    consent: true,
    agreementVersion,
  });
  return { id, leader };
}
