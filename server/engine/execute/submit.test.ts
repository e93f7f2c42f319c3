import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asc, eq } from "drizzle-orm";
import { createTestDb } from "../../../test/db";
import { orders } from "../../../db/schema";
import type { BrokerAdapter, OrderRequest } from "../../brokers/types";
import { ingestLeaderFill } from "../ingest/leader-events";
import { replicateLeader } from "../replicate/replicate";
import { makeWorld } from "../testing/test-world";
import { pump } from "../pump";
import { reconcile } from "../reconcile/reconcile";
import { submitDueOrders, type Claimed } from "./submit";

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

  /** A world whose paper broker records every client order id it is sent. */
  async function sendingWorld(db: typeof t.db) {
    const w = await makeWorld(db, { followers: 3 });
    const sent: string[] = [];
    const spy = Object.create(w.paper) as BrokerAdapter;
    spy.placeOrders = (reqs: OrderRequest[]) => {
      sent.push(...reqs.map((r) => r.clientOrderId));
      return w.paper.placeOrders(reqs);
    };
    const ingest = (fill: string) =>
      ingestLeaderFill(w.deps, {
        leaderId: w.leaderId,
        fillId: fill,
        orderId: `o-${fill}`,
        symbol: "XYZ",
        side: "buy",
        qty: "10",
        price: "100",
        at: w.clock.now(),
      });
    const copyOrders = () => db.select().from(orders).where(eq(orders.origin, "copy"));
    return { ...w, deps: { ...w.deps, broker: () => spy }, sent, ingest, copyOrders };
  }

  /** A sending world on a database of its own, dropped after `fn`. */
  async function inSendingWorld(
    fn: (w: Awaited<ReturnType<typeof sendingWorld>>) => Promise<void>,
  ) {
    const t2 = await createTestDb();
    try {
      await fn(await sendingWorld(t2.db));
    } finally {
      await t2.drop();
    }
  }

  it("orders a fan-out hands over are inserted claimed and sent once by that pass, with no claim", () =>
    inSendingWorld(async (w) => {
      await w.ingest("hand-1");
      const fresh: Claimed[] = [];
      await replicateLeader(w.deps, w.leaderId, { fresh });
      expect(fresh).toHaveLength(3);
      // Claimed at insert: no other worker's claim sees them.
      const rows = await w.copyOrders();
      expect(rows.map((o) => [o.status, o.attempts])).toEqual([
        ["submitted", 1],
        ["submitted", 1],
        ["submitted", 1],
      ]);
      expect(await submitDueOrders(w.deps)).toBe(0);
      expect(w.sent).toEqual([]);
      expect(await submitDueOrders(w.deps, { fresh })).toBe(3);
      expect([...w.sent].sort()).toEqual(rows.map((o) => o.clientOrderId).sort());
      // Without a taker the fan-out leaves them to any worker's claim, as before.
      await w.ingest("hand-2");
      await replicateLeader(w.deps, w.leaderId);
      const second = (await w.copyOrders()).filter((o) => o.leaderFillId === "hand-2");
      expect(second.map((o) => [o.status, o.attempts])).toEqual([
        ["pending_submit", 0],
        ["pending_submit", 0],
        ["pending_submit", 0],
      ]);
    }));

  it("handed-over orders a dead worker never sent are sent back by reconciliation, same id, once", () =>
    inSendingWorld(async (w) => {
      await w.ingest("lost-1");
      // The worker that took them dies here: the list is gone with it.
      await replicateLeader(w.deps, w.leaderId, { fresh: [] });
      expect((await w.copyOrders()).every((o) => o.status === "submitted")).toBe(true);
      await reconcile(w.deps, "startup");
      expect((await w.copyOrders()).map((o) => o.status)).toEqual([
        "pending_submit",
        "pending_submit",
        "pending_submit",
      ]);
      await pump(w.deps);
      expect(w.sent).toHaveLength(3);
      expect(new Set(w.sent).size).toBe(3);
      expect((await w.copyOrders()).every((o) => o.status === "filled")).toBe(true);
    }));

  it("a pass stopped after its fan-out gives the orders it took back to every worker's claim", () =>
    inSendingWorld(async (w) => {
      await w.ingest("stop-1");
      const stop = new AbortController();
      // Stopped while the fan-out runs (its batch log line), so the pass ends before sending.
      const deps = {
        ...w.deps,
        log: { ...w.deps.log, info: () => stop.abort() },
      };
      await pump(deps, { signal: stop.signal });
      expect(w.sent).toEqual([]);
      expect((await w.copyOrders()).map((o) => [o.status, o.attempts])).toEqual([
        ["pending_submit", 0],
        ["pending_submit", 0],
        ["pending_submit", 0],
      ]);
      expect(await submitDueOrders(w.deps)).toBe(3);
      expect(w.sent).toHaveLength(3);
    }));
});
