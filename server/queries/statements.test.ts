import { readFileSync } from "node:fs";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb } from "../../test/db";
import {
  accountBalances,
  brokerAccounts,
  copyRelationships,
  feeCashMoves,
  paperAccounts,
  platformFeeSettings,
} from "../../db/schema";
import { eq } from "drizzle-orm";
import { leaderEarningsPaperAccount, PLATFORM_FEES_PAPER_ACCOUNT } from "../brokers/paper/fee-cash";
import { ManualClock } from "../domain/clock";
import { DEFAULT_CONFIG, silentLog, type EngineDeps } from "../engine/deps";
import { moveFeeCash } from "../engine/fees/cash";
import { reconcile } from "../engine/reconcile/reconcile";
import { PaperBroker } from "../brokers/paper";
import { createRng } from "../domain/random";
import { cashAccount, leaderFeesPayable, platformRevenue } from "../domain/bookkeeping";
import { platformShareAccount } from "../domain/fees";
import { D } from "../domain/money";
import { runReplay } from "../engine/replay/run-replay";
import { parseScenario } from "../engine/replay/scenario";
import { copyStatement, STATEMENT_CSV_COLUMNS, statementCsv, type Statement } from "./statements";

/*
 * The statement of scenarios/fees-month-and-stop.json (figures worked by hand in
 * server/engine/replay/fees.test.ts), with the platform keeping 20 % of leader fees.
 */
let t: Awaited<ReturnType<typeof createTestDb>>;
let s: Statement;
let rel: typeof copyRelationships.$inferSelect;
beforeAll(async () => {
  t = await createTestDb();
  await t.db
    .insert(platformFeeSettings)
    .values({ platformFeeBps: "10", platformSharePct: "20", at: new Date("2026-01-01T00:00:00Z") });
  const raw: unknown = JSON.parse(
    readFileSync(
      path.resolve(import.meta.dirname, "../../scenarios/fees-month-and-stop.json"),
      "utf8",
    ),
  );
  await runReplay(t.db, parseScenario(raw));
  [rel] = (await t.db.select().from(copyRelationships)) as [typeof rel];
  s = (await copyStatement(t.db, rel.id, new Date("2026-03-04T00:00:00Z")))!;
}, 120_000);
afterAll(() => t.drop());

/** Σ postings to one ledger account from the copy's journals. */
async function posted(code: string, kind?: string): Promise<string> {
  const [row] = await t.db.execute<{ total: string | null }>(sql`
    select sum(p.amount)::text as total from postings p
      join journals j on j.id = p.journal_id
      join ledger_accounts a on a.id = p.ledger_account_id
     where j.relationship_id = ${rel.id} and a.code = ${code}
       ${kind ? sql`and j.kind = ${kind}` : sql``}`);
  return row?.total ?? "0";
}

describe("a copy's statement", () => {
  it("per month: equity, P&L, each fee with base and rate, the mark before and after", () => {
    expect(s.periods.map((p) => [p.period, p.state])).toEqual([
      ["2026-01", "settled"],
      ["2026-02", "settled"],
      ["2026-03", "settled"],
    ]);
    const [jan, feb, mar] = s.periods as [
      Statement["periods"][0],
      Statement["periods"][0],
      Statement["periods"][0],
    ];
    // January: 10 AAPL bought at 100.01, worth 109.99 at the bid: +99.8 unrealized;
    // 10 000 + 99.8 − 1.0001 − 2.00975998 − 19.358028 = 10 077.43211202.
    expect(jan).toMatchObject({
      equityStart: "10000",
      unrealizedEnd: "99.8",
      realizedPnl: "0",
      feesTotal: "22.36788798",
      equityEnd: "10077.43211202",
      highWaterMarkBefore: "10000",
      highWaterMarkAfter: "10077.43211202",
      check: "0",
    });
    expect(jan.fees.map((f) => [f.kind, f.amount, f.base, f.rate])).toEqual([
      ["platform", "1.0001", "1000.1", "10"],
      ["management", "2.00975998", "2.00975998", "3.65"],
      ["performance", "19.358028", "96.79014002", "20"],
    ]);
    // February: management on each midnight's equity — 1.007743211202 (Feb 2, at 109.99),
    // 25 × 1.002743211202 (Feb 3–27, at 104.99), 2 × 0.997743211202 (Feb 28, Mar 1, at 99.99)
    // = 28.071809913656, charged 28.07180991; below the mark: no performance fee.
    expect(feb.fees.map((f) => [f.kind, f.amount, f.base])).toEqual([
      ["management", "28.07180991", "28.071809913656"],
    ]);
    expect(feb).toMatchObject({
      equityStart: "10077.43211202",
      unrealizedStart: "99.8",
      unrealizedEnd: "-0.2",
      equityEnd: "9949.36030211",
      highWaterMarkAfter: "10077.43211202",
      check: "0",
    });
    // March: the stop sells 10 at 119.99: realized 10 × (119.99 − 100.01) = 199.8.
    expect(mar).toMatchObject({
      equityStart: "9949.36030211",
      realizedPnl: "199.8",
      unrealizedEnd: "0",
      check: "0",
    });
    expect(mar.fees.map((f) => f.kind)).toEqual(["platform", "management", "performance"]);
    expect(D(mar.equityEnd).eq(mar.highWaterMarkAfter!)).toBe(true);
  });

  it("adds up with the ledger to the cent: fees credited, the follower's cash debited", async () => {
    const fees = s.periods.reduce((a, p) => a.plus(p.feesTotal), D(0));
    const leader = D(await posted(leaderFeesPayable(rel.leaderId)));
    const share = D(await posted(platformShareAccount()));
    const platform = D(await posted(platformRevenue()));
    expect(leader.plus(share).plus(platform).toFixed(2)).toBe(fees.toFixed(2));
    expect(leader.plus(share).plus(platform).eq(fees)).toBe(true);
    // The platform keeps 20 % of management and performance fees, each share
    // rounded down to 8 places.
    const leaderFees = s.periods
      .flatMap((p) => p.fees)
      .filter((f) => f.kind !== "platform")
      .reduce((a, f) => a.plus(f.amount), D(0));
    const shares = s.periods
      .flatMap((p) => p.fees)
      .filter((f) => f.kind !== "platform")
      .reduce((a, f) => a.plus(D(f.amount).times("0.2").toDecimalPlaces(8, 1)), D(0));
    expect(share.toFixed()).toBe(shares.toFixed());
    expect(leader.plus(share).eq(leaderFees)).toBe(true);
    // Flat at the end: the copy's journals moved the follower's cash by realized P&L less
    // commissions and fees, which is what the statement says it made.
    const cash = D(await posted(cashAccount(rel.brokerAccountId)));
    const made = s.periods.reduce(
      (a, p) => a.plus(p.realizedPnl).minus(p.commissions).minus(p.feesTotal),
      D(0),
    );
    expect(cash.toFixed(2)).toBe(made.toFixed(2));
    expect(cash.eq(made)).toBe(true);
    expect(
      D(await posted(cashAccount(rel.brokerAccountId), "fee"))
        .neg()
        .eq(fees),
    ).toBe(true);
  });

  it("as CSV: a header and one row per period, exact decimals", () => {
    const lines = statementCsv(s).trimEnd().split("\r\n");
    expect(lines[0]).toBe(STATEMENT_CSV_COLUMNS.join(","));
    expect(lines).toHaveLength(1 + s.periods.length);
    const jan = Object.fromEntries(
      STATEMENT_CSV_COLUMNS.map((c, i) => [c, lines[1]!.split(",")[i]]),
    );
    expect(jan).toMatchObject({
      period: "2026-01",
      performance_fee: "19.358028",
      performance_fee_base: "96.79014002",
      performance_fee_pct: "20",
      management_fee: "2.00975998",
      platform_fee_bps: "10",
      equity_end: "10077.43211202",
      currency: "USD",
    });
    expect(lines.every((l) => l.split(",").length === STATEMENT_CSV_COLUMNS.length)).toBe(true);
  });

  it("moves each fee's cash at the paper broker once, so broker cash and our books agree", async () => {
    const clock = new ManualClock(new Date("2026-03-04T00:00:00Z"));
    const deps = {
      db: t.db,
      clock,
      rng: createRng("fees"),
      log: silentLog,
      config: DEFAULT_CONFIG,
      owner: "test",
      broker: () => paper,
    } as EngineDeps;
    const paper = new PaperBroker({ db: t.db, clock, seed: "fees" });
    // Reconciliation's cash check, for this copy's account only.
    const cashMismatches = async () => {
      const run = await reconcile(deps, "on_demand");
      return (
        await t.db.execute<{ actual: string; expected: string }>(
          sql`select expected, actual from reconciliation_items
               where run_id = ${run.runId} and kind = 'cash_mismatch'
                 and broker_account_id = ${rel.brokerAccountId}`,
        )
      ).map((r) => ({ ...r }));
    };
    const [acct] = await t.db
      .select()
      .from(brokerAccounts)
      .where(eq(brokerAccounts.id, rel.brokerAccountId));
    const paperCash = async (id: string) =>
      D((await t.db.select().from(paperAccounts).where(eq(paperAccounts.id, id)))[0]?.cash ?? 0);
    const before = await paperCash(acct!.externalId);
    const fees = s.periods.reduce((a, p) => a.plus(p.feesTotal), D(0));
    // Charged on our books, not yet moved at the broker: the broker holds our cash plus the
    // fees, which reconciliation expects (not a mismatch).
    expect(fees.gt(0)).toBe(true);
    expect(await cashMismatches()).toEqual([]);
    expect(await moveFeeCash(deps)).toBe(s.periods.flatMap((p) => p.fees).length);
    expect(await moveFeeCash(deps)).toBe(0);
    expect(await cashMismatches()).toEqual([]);
    const after = await paperCash(acct!.externalId);
    expect(before.minus(after).eq(fees)).toBe(true);
    const [bal] = await t.db
      .select()
      .from(accountBalances)
      .where(eq(accountBalances.brokerAccountId, rel.brokerAccountId));
    expect(after.eq(bal!.cash)).toBe(true);
    const leaderGot = await paperCash(leaderEarningsPaperAccount(rel.leaderId));
    const platformGot = await paperCash(PLATFORM_FEES_PAPER_ACCOUNT);
    expect(leaderGot.eq(await posted(leaderFeesPayable(rel.leaderId)))).toBe(true);
    expect(leaderGot.plus(platformGot).eq(fees)).toBe(true);
    const moves = await t.db.select().from(feeCashMoves);
    expect(moves.every((m) => m.kind === "moved" && m.movedAt !== null)).toBe(true);
  });

  it("a copy that does not exist has no statement", async () => {
    expect(
      await copyStatement(t.db, "00000000-0000-4000-8000-000000000000", new Date()),
    ).toBeNull();
  });
});
