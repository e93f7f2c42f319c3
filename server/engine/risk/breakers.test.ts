import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { createTestDb } from "../../../test/db";
import { circuitBreakers, copyDecisions, copyPositions } from "../../../db/schema";
import { closeBreaker, LEADER_FILLS_PER_MINUTE_LIMIT, openBreaker } from "./breakers";
import { ingestLeaderFill } from "../ingest/leader-events";
import { pump } from "../pump";
import { makeWorld } from "../testing/test-world";

let t: Awaited<ReturnType<typeof createTestDb>>;
beforeEach(async () => {
  t = await createTestDb();
});
afterEach(() => t.drop());

describe("circuit breakers", () => {
  it("an open breaker skips increases with CIRCUIT_BREAKER but lets reductions through; closing it restores copying", async () => {
    const w = await makeWorld(t.db, { followers: 1 });
    const rel = w.followers[0]!.relationshipId;
    const fill = (id: string, side: "buy" | "sell", qty: string) =>
      ingestLeaderFill(w.deps, {
        leaderId: w.leaderId,
        fillId: id,
        orderId: id,
        symbol: "XYZ",
        side,
        qty,
        price: "100",
        at: w.clock.now(),
      });
    await fill("f1", "buy", "50");
    await pump(w.deps);
    const id = await openBreaker(w.deps, {
      scope: "instrument",
      key: "XYZ",
      reason: "exchange halt",
      by: "admin",
    });
    expect(
      await openBreaker(w.deps, { scope: "instrument", key: "XYZ", reason: "again", by: "admin" }),
    ).toBeNull();
    await fill("f2", "buy", "50");
    await fill("f3", "sell", "60");
    await pump(w.deps);
    await closeBreaker(w.deps, id!, "admin");
    await fill("f4", "buy", "10");
    await pump(w.deps);
    const ds = await t.db
      .select()
      .from(copyDecisions)
      .where(eq(copyDecisions.relationshipId, rel))
      .orderBy(copyDecisions.id);
    expect(ds.map((d) => [d.leaderFillId, d.target, d.orderQty, d.action, d.reason])).toEqual([
      ["f1", "5", "5", "placed", "OK"],
      ["f2", "10", "0", "skipped", "CIRCUIT_BREAKER"],
      ["f3", "4", "-1", "placed", "OK"], // a reduction passes the open breaker
      ["f4", "5", "1", "placed", "OK"],
    ]);
    const [p] = await t.db
      .select()
      .from(copyPositions)
      .where(eq(copyPositions.relationshipId, rel));
    expect(p?.qty).toBe("5");
  });

  it("the engine opens a leader's breaker itself when the fill rate explodes", async () => {
    const w = await makeWorld(t.db, { followers: 1, config: { autoBreakers: true } });
    for (let i = 0; i <= LEADER_FILLS_PER_MINUTE_LIMIT; i++) {
      await ingestLeaderFill(w.deps, {
        leaderId: w.leaderId,
        fillId: `f${i}`,
        orderId: `o${i}`,
        symbol: "XYZ",
        side: i % 2 ? "sell" : "buy",
        qty: "1",
        price: "100",
        at: w.clock.now(),
      });
    }
    const open = await t.db
      .select()
      .from(circuitBreakers)
      .where(eq(circuitBreakers.scopeKey, w.leaderId));
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({ scope: "leader", openedBy: "engine" });
  });
});
