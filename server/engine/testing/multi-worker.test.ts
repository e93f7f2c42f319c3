import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { createTestDb } from "../../../test/db";
import type { BrokerAdapter, OrderRequest } from "../../brokers/types";
import { createRng } from "../../domain/random";
import { WORKER_CONFIG, type EngineDeps } from "../deps";
import { ingestLeaderFill } from "../ingest/leader-events";
import { submitDueOrders } from "../execute/submit";
import { pump } from "../pump";
import { replicateLeader } from "../replicate/replicate";
import { makeWorld } from "./test-world";
import { bookkeepingIntegrityProblems } from "../book/integrity";

/**
 * Several workers at once: the leader's stream is fanned out once (lease), and every order is
 * sent once (claimed with SKIP LOCKED), whichever worker gets it.
 */
let t: Awaited<ReturnType<typeof createTestDb>>;
beforeAll(async () => {
  t = await createTestDb();
});
afterAll(() => t.drop());

describe("three workers on one database", () => {
  it("send every follower order exactly once", async () => {
    const w = await makeWorld(t.db, { followers: 30 });
    const sent: string[] = [];
    const spy = (): BrokerAdapter => {
      const b = Object.create(w.paper) as BrokerAdapter;
      b.placeOrder = (req: OrderRequest) => {
        sent.push(req.clientOrderId);
        return w.paper.placeOrder(req);
      };
      b.placeOrders = (reqs: OrderRequest[]) => {
        sent.push(...reqs.map((r) => r.clientOrderId));
        return w.paper.placeOrders(reqs);
      };
      return b;
    };
    const worker = (owner: string): EngineDeps => ({
      ...w.deps,
      broker: () => spy(),
      rng: createRng(owner),
      owner,
      config: { ...WORKER_CONFIG, autoBreakers: false },
    });
    for (let i = 0; i < 3; i++) {
      await ingestLeaderFill(w.deps, {
        leaderId: w.leaderId,
        fillId: `f${i}`,
        orderId: `o${i}`,
        symbol: "XYZ",
        side: "buy",
        qty: "10",
        price: "100",
        at: w.clock.now(),
      });
    }
    // Fan-out first, so that all three workers find the same 90 orders due at once.
    await Promise.all([
      replicateLeader(worker("a"), w.leaderId),
      replicateLeader(worker("b"), w.leaderId),
    ]);
    await Promise.all([
      submitDueOrders(worker("a")),
      submitDueOrders(worker("b")),
      submitDueOrders(worker("c")),
    ]);
    await Promise.all([pump(worker("a")), pump(worker("b")), pump(worker("c"))]);
    expect(sent.length).toBe(90);
    expect(new Set(sent).size).toBe(90);
    const [row] = await t.db.execute<{ n: string; filled: string }>(
      sql`select count(*) as n, count(*) filter (where status = 'filled') as filled from orders`,
    );
    expect(row).toEqual({ n: "90", filled: "90" });
    const dupDecisions = await t.db.execute(
      sql`select relationship_id, leader_fill_id from copy_decisions group by 1, 2 having count(*) > 1`,
    );
    expect(dupDecisions).toHaveLength(0);
    expect(await bookkeepingIntegrityProblems(t.db)).toEqual([]);
  });
});
