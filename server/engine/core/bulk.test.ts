import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and } from "drizzle-orm";
import { createTestDb } from "../../../test/db";
import { orders } from "../../../db/schema";
import { anyOf, arrayParam } from "./bulk";

let t: Awaited<ReturnType<typeof createTestDb>>;
beforeAll(async () => {
  t = await createTestDb();
});
afterAll(() => t.drop());

/** The generic plan PostgreSQL would keep for this statement (PostgreSQL 16+). */
async function genericPlan(text: string): Promise<string> {
  const rows = await t.sql.unsafe<{ "QUERY PLAN": string }[]>(`explain (generic_plan) ${text}`);
  return rows.map((r) => r["QUERY PLAN"]).join("\n");
}

describe("anyOf under a prepared statement's generic plan", () => {
  it("hands the filter a typed array, not a cast evaluated for every row (ADR 0041, session 10)", async () => {
    const [version] = await t.sql<
      { v: number }[]
    >`select current_setting('server_version_num')::int as v`;
    if ((version?.v ?? 0) < 160000) return; // explain (generic_plan) is PostgreSQL 16+; the rule holds anyway
    const ids = ["00000000-0000-4000-8000-000000000001"];
    const query = t.db
      .select({ id: orders.id })
      .from(orders)
      .where(and(anyOf(orders.clientOrderId, ["c-1"], "text"), anyOf(orders.brokerAccountId, ids)))
      .toSQL().sql;
    const plan = await genericPlan(query);
    // The account ids are compared as the parameter itself...
    expect(plan).toMatch(/broker_account_id = ANY \(\$\d+\)/);
    // ...while the old form, `$1::text[]::uuid[]`, leaves the cast in the plan: run per row.
    const old = await genericPlan(query.replace(/::uuid\[\]/, "::text[]::uuid[]"));
    expect(old).toMatch(/broker_account_id = ANY \(\(\$\d+\)::uuid\[\]\)/);
  });
});

describe("anyOf's values as one array parameter", () => {
  it("sends bare ids as array text and anything that needs quoting as an array, with the same answer", async () => {
    expect(arrayParam(["a-1", "b:2", "3.5"])).toBe("{a-1,b:2,3.5}");
    expect(arrayParam([])).toBe("{}");
    for (const odd of [
      'with "quote"',
      "a,b",
      "two words",
      "back\\slash",
      "NULL",
      "null",
      "{x}",
      "",
    ])
      expect(arrayParam(["fine", odd])).toEqual(["fine", odd]);
    // Orders have no foreign keys (ADR 0071): two rows with only what the table requires.
    const account = "00000000-0000-4000-8000-0000000000b1";
    for (const clientOrderId of ["bare-1", 'odd, "quoted" NULL'])
      await t.db.insert(orders).values({
        clientOrderId,
        brokerAccountId: account,
        symbol: "XYZ",
        side: "buy",
        type: "market",
        qty: "1",
        status: "pending_submit",
        origin: "manual",
        createdAt: new Date(),
        updatedAt: new Date(),
      });
    const found = async (ids: string[]) =>
      (
        await t.db
          .select({ c: orders.clientOrderId })
          .from(orders)
          .where(
            and(anyOf(orders.clientOrderId, ids, "text"), anyOf(orders.brokerAccountId, [account])),
          )
          .orderBy(orders.clientOrderId)
      ).map((r) => r.c);
    expect(await found(["bare-1", "bare-2"])).toEqual(["bare-1"]);
    expect(await found(["bare-1", 'odd, "quoted" NULL'])).toEqual(["bare-1", 'odd, "quoted" NULL']);
    expect(await found([])).toEqual([]);
  });
});
