import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { createTestDb } from "../test/db";
import { instruments, quotes } from "./schema";

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
});
