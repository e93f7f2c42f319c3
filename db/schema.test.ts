import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { createTestDb } from "../test/db";
import { copyDecisions, instruments, quotes } from "./schema";

let t: Awaited<ReturnType<typeof createTestDb>>;
beforeAll(async () => {
  t = await createTestDb();
});
afterAll(() => t.drop());

describe("schema on real PostgreSQL", () => {
  it("keeps numeric values exact, as strings", async () => {
    await t.db.insert(instruments).values({
      symbol: "XYZ",
      name: "XYZ Corp",
      assetClass: "equity",
      currency: "USD",
      tickSize: "0.01",
      qtyStep: "0.000001",
      minQty: "0.000001",
      minNotional: "1",
      tradingHours: { timeZone: "America/New_York", sessions: [] },
    });
    await t.db.insert(quotes).values({
      symbol: "XYZ",
      bid: "0.1",
      ask: "123456789012345678.000000000001",
      at: new Date(),
    });
    const [q] = await t.db.select().from(quotes);
    expect(q?.bid).toBe("0.1");
    expect(q?.ask).toBe("123456789012345678.000000000001");
  });

  it("refuses a second event with the same (stream, seq)", async () => {
    await t.db.execute(
      sql`insert into events (stream, seq, type, payload, at) values ('s', 1, 't', '{}', now())`,
    );
    await expect(
      t.db.execute(
        sql`insert into events (stream, seq, type, payload, at) values ('s', 1, 't', '{}', now())`,
      ),
    ).rejects.toThrow();
  });

  it("stores a decision's checks as triples and reads them back as checks, old rows too", async () => {
    const checks = [
      { check: "status", passed: true, detail: "copy is active" },
      { check: "funds", passed: false, detail: 'cost 10 exceeds available 5 "USD"' },
    ];
    const row = {
      relationshipId: "00000000-0000-4000-8000-000000000001",
      leaderEventSeq: 1,
      symbol: "XYZ",
      target: "1",
      orderQty: "1",
      action: "reduced" as const,
      reason: "INSUFFICIENT_FUNDS",
      at: new Date(),
    };
    await t.db.insert(copyDecisions).values({ ...row, leaderFillId: "lf-new", checks });
    // A row written before triples: checks as objects.
    await t.db.execute(sql`
      insert into copy_decisions (relationship_id, leader_fill_id, leader_event_seq, symbol, target, order_qty, action, reason, checks, at)
      values (${row.relationshipId}, 'lf-old', 1, 'XYZ', 1, 1, 'reduced', 'INSUFFICIENT_FUNDS', ${JSON.stringify(checks)}::jsonb, now())`);
    const [stored] = await t.db.execute<{ checks: unknown }>(
      sql`select checks from copy_decisions where leader_fill_id = 'lf-new'`,
    );
    expect(stored!.checks).toEqual([
      ["status", true, "copy is active"],
      ["funds", false, 'cost 10 exceeds available 5 "USD"'],
    ]);
    const back = await t.db
      .select({ id: copyDecisions.leaderFillId, checks: copyDecisions.checks })
      .from(copyDecisions)
      .orderBy(copyDecisions.leaderFillId);
    expect(back).toEqual([
      { id: "lf-new", checks },
      { id: "lf-old", checks },
    ]);
  });
});
