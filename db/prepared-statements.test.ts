import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq, inArray, sql } from "drizzle-orm";
import { createTestDb } from "../test/db";
import { MAX_PREPARED_PARAMS } from "./prepared-statements";
import { instruments } from "./schema";

let t: Awaited<ReturnType<typeof createTestDb>>;
beforeAll(async () => {
  t = await createTestDb();
});
afterAll(() => t.drop());

/** Statements this transaction's connection has prepared whose text mentions `marker`. */
async function preparedOn(
  tx: Parameters<Parameters<typeof t.db.transaction>[0]>[0],
  marker: string,
) {
  const rows = await tx.execute<{ statement: string }>(
    sql`select statement from pg_prepared_statements where statement like ${"%" + marker + "%"}`,
  );
  return rows.map((r) => r.statement);
}

describe("Drizzle's queries as prepared statements", () => {
  it("prepares a query with parameters, inside a transaction too, and answers the same", async () => {
    await t.db.insert(instruments).values({
      symbol: "PREP",
      name: "Prepared",
      assetClass: "equity",
      currency: "USD",
      tickSize: "0.01",
      qtyStep: "1",
      minQty: "1",
      minNotional: "1",
      tradingHours: { timeZone: "UTC", sessions: [] },
    });
    await t.db.transaction(async (tx) => {
      for (let i = 0; i < 3; i++) {
        const [row] = await tx
          .select({ name: instruments.name })
          .from(instruments)
          .where(eq(instruments.symbol, "PREP"));
        expect(row?.name).toBe("Prepared");
      }
      // One statement on the connection for the three calls: prepared once, reused.
      expect(await preparedOn(tx, `"instruments"."symbol" = $1`)).toHaveLength(1);
    });
  });

  it("leaves a query with many parameters unprepared: its text varies with the list", async () => {
    const many = Array.from({ length: MAX_PREPARED_PARAMS + 1 }, (_, i) => `S${i}`);
    await t.db.transaction(async (tx) => {
      expect(await tx.select().from(instruments).where(inArray(instruments.symbol, many))).toEqual(
        [],
      );
      expect(await preparedOn(tx, `$${MAX_PREPARED_PARAMS + 1})`)).toEqual([]);
    });
  });

  it("pipelines concurrent queries in a transaction and keeps each its own answer", async () => {
    const symbols = ["PREP", "NONE", "PREP", "NONE"];
    const answers = await t.db.transaction((tx) =>
      Promise.all(
        symbols.map((s) =>
          tx
            .select({ symbol: instruments.symbol })
            .from(instruments)
            .where(eq(instruments.symbol, s)),
        ),
      ),
    );
    expect(answers.map((a) => a.length)).toEqual([1, 0, 1, 0]);
  });
});
