import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestDb } from "../../../test/db";
import { leaderVerifications } from "../../../db/schema";
import { leaderFillOf } from "../book/broker-events";
import { ingestLeaderFill } from "../ingest/leader-events";
import { makeWorld } from "../testing/test-world";
import { verifyLeaders } from "./verify-leaders";

let t: Awaited<ReturnType<typeof createTestDb>>;
beforeEach(async () => {
  t = await createTestDb();
});
afterEach(() => t.drop());

describe("verified leaders", () => {
  it("verified only while every recorded fill is one the broker reports", async () => {
    const w = await makeWorld(t.db, { followers: 0 });
    const state = async () => {
      await verifyLeaders(w.deps);
      const [v] = await t.db.select().from(leaderVerifications);
      return v!;
    };
    // No trades yet: nothing to check, so no badge.
    expect(await state()).toMatchObject({ verified: false, fillsChecked: 0 });

    // A real trade at the paper broker, taken into the leader's stream as the engine does.
    await w.paper.placeOrder({
      accountId: "L",
      clientOrderId: "l-1",
      symbol: "XYZ",
      side: "buy",
      type: "market",
      qty: "10",
    });
    const [fill] = await w.paper.listFills("L");
    await ingestLeaderFill(w.deps, leaderFillOf(w.leaderId, fill!));
    const ok = await state();
    expect(ok).toMatchObject({ verified: true, fillsChecked: 1, fillsMatched: 1, reasons: [] });
    expect(ok.verifiedSince).toEqual(w.clock.now());

    // A fill the broker never reported (a made-up track record) removes the badge.
    await ingestLeaderFill(w.deps, {
      ...leaderFillOf(w.leaderId, fill!),
      fillId: "invented-1",
      orderId: "invented-1",
    });
    const bad = await state();
    expect(bad).toMatchObject({
      verified: false,
      fillsChecked: 2,
      fillsMatched: 1,
      reasons: ["1 of 2 recorded trades is not reported by the broker."],
      verifiedSince: null,
    });
    expect(bad.mismatches).toEqual([
      {
        tradeId: "invented-1",
        kind: "missing",
        detail: `buy 10 XYZ at ${fill!.price} is not among the broker's fills`,
      },
    ]);
  });
});
