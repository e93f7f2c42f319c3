import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asc, eq } from "drizzle-orm";
import { createTestDb } from "../../../test/db";
import { orders } from "../../../db/schema";
import type { BrokerAdapter, OrderRequest } from "../../brokers/types";
import { ingestLeaderFill } from "../ingest/leader-events";
import { replicateLeader } from "../replicate/replicate";
import { makeWorld } from "../testing/test-world";
import { submitDueOrders } from "./submit";

/**
 * The claim marks fresh orders `submitted` in the same statement (ADR 0041): what is not
 * sent in the pass must go back exactly as it was, and the single path must not count the
 * attempt twice.
 */
let t: Awaited<ReturnType<typeof createTestDb>>;
beforeAll(async () => {
  t = await createTestDb();
});
afterAll(() => t.drop());

async function fanOut(w: Awaited<ReturnType<typeof makeWorld>>, fill: string) {
  await ingestLeaderFill(w.deps, {
    leaderId: w.leaderId,
    fillId: fill,
    orderId: `o-${fill}`,
    symbol: "XYZ",
    side: "buy",
    qty: "10",
    price: "100",
    at: w.clock.now(),
  });
  await replicateLeader(w.deps, w.leaderId);
}

const rows = (ids: string[]) =>
  t.db
    .select()
    .from(orders)
    .orderBy(asc(orders.createdAt), asc(orders.clientOrderId))
    .then((r) => r.filter((o) => ids.includes(o.relationshipId ?? "")));

describe("submitDueOrders", () => {
  it("orders over the broker budget go back to pending_submit with no attempt counted, and are sent in a later pass", async () => {
    const w = await makeWorld(t.db, { followers: 5, config: { brokerOrdersPerSecond: 2 } });
    const rels = w.followers.map((f) => f.relationshipId);
    await fanOut(w, "budget-1");
    const sent: string[] = [];
    const paper = w.paper;
    const spy = Object.create(paper) as BrokerAdapter;
    spy.placeOrders = (reqs: OrderRequest[]) => {
      sent.push(...reqs.map((r) => r.clientOrderId));
      return paper.placeOrders(reqs);
    };
    const deps = { ...w.deps, broker: () => spy };

    expect(await submitDueOrders(deps)).toBe(2);
    const after1 = await rows(rels);
    expect(after1).toHaveLength(5);
    const out = after1.filter((o) => sent.includes(o.clientOrderId));
    const held = after1.filter((o) => !sent.includes(o.clientOrderId));
    expect(out.map((o) => [o.status, o.attempts])).toEqual([
      ["submitted", 1],
      ["submitted", 1],
    ]);
    expect(held.map((o) => [o.status, o.attempts, o.nextAttemptAt])).toEqual([
      ["pending_submit", 0, null],
      ["pending_submit", 0, null],
      ["pending_submit", 0, null],
    ]);
    // The broker has exactly the two it was sent.
    for (const o of held)
      expect(await paper.getOrder(`F${rels.indexOf(o.relationshipId!)}`, o.clientOrderId)).toBe(
        null,
      );

    w.clock.advance(1500); // the bucket refills two tokens
    expect(await submitDueOrders(deps)).toBe(2);
    w.clock.advance(1500);
    expect(await submitDueOrders(deps)).toBe(1);
    expect(await submitDueOrders(deps)).toBe(0);
    expect(new Set(sent).size).toBe(5);
    expect(sent).toHaveLength(5);
    expect((await rows(rels)).map((o) => [o.status, o.attempts])).toEqual(
      Array.from({ length: 5 }, () => ["submitted", 1]),
    );
  });

  it("a broker without a batch call gets each order once, one attempt each", async () => {
    const t2 = await createTestDb();
    try {
      const w = await makeWorld(t2.db, { followers: 3 });
      await fanOut(w, "single-1");
      const sent: string[] = [];
      const paper = w.paper;
      const single = Object.create(paper) as BrokerAdapter;
      (single as { placeOrders?: unknown }).placeOrders = undefined;
      single.placeOrder = (req: OrderRequest) => {
        sent.push(req.clientOrderId);
        return paper.placeOrder(req);
      };
      const deps = { ...w.deps, broker: () => single };
      expect(await submitDueOrders(deps)).toBe(3);
      expect(await submitDueOrders(deps)).toBe(0);
      expect(sent).toHaveLength(3);
      const all = await t2.db.select().from(orders).where(eq(orders.origin, "copy"));
      // Working at the broker's answer (accepted by the single path), each sent once.
      expect(all.map((o) => o.attempts)).toEqual([1, 1, 1]);
      expect(all.every((o) => o.status === "accepted" || o.status === "filled")).toBe(true);
    } finally {
      await t2.drop();
    }
  });
});
