import { customType, numeric, timestamp } from "drizzle-orm/pg-core";

/**
 * Money, prices and quantities: unconstrained `numeric`, read back as decimal strings so that
 * no JavaScript float ever holds them. Unconstrained keeps the exact value written ("3" stays
 * "3", "0.015" stays "0.015"), which keeps reports and reconciliations byte-comparable.
 */
export const dec = (name: string) => numeric(name, { mode: "string" });

export const createdAt = () =>
  timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow();

export const ts = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });

/** One risk check of a copy decision, as the engine reports it (domain/risk.ts RiskCheck). */
export type CheckRow = { check: string; passed: boolean; detail: string };

/**
 * A decision's risk checks as stored: `[check, passed, detail]` triples. As objects, a
 * 10 000-follower fan-out's checks were 3.7 MB of JSON whose 150 000 keys the server parsed
 * into jsonb and stored again in every row (ADR 0041, session 12). Raw SQL that writes
 * checks writes triples (`packChecks`); everything reads them through `unpackChecks`.
 */
export function packChecks(checks: readonly CheckRow[]): Array<[string, boolean, string]> {
  return checks.map((c) => [c.check, c.passed, c.detail]);
}

/** Triples back to checks; a row written as objects (before triples) reads the same. */
export function unpackChecks(stored: unknown): CheckRow[] {
  const list = typeof stored === "string" ? (JSON.parse(stored) as unknown) : stored;
  if (!Array.isArray(list)) return [];
  return list.map((c: unknown) =>
    Array.isArray(c)
      ? { check: String(c[0]), passed: c[1] === true, detail: String(c[2] ?? "") }
      : (c as CheckRow),
  );
}

/** A jsonb column of risk checks, packed as triples on the way in, unpacked on the way out. */
export const riskChecks = customType<{ data: CheckRow[]; driverData: string }>({
  dataType: () => "jsonb",
  toDriver: (checks) => JSON.stringify(packChecks(checks)),
  fromDriver: (stored) => unpackChecks(stored),
});
