import { createHash } from "node:crypto";
import postgres from "postgres";
import type { Db } from "../../../db/client";
import { accountBalances, brokerAccounts, instruments, leaders, users } from "../../../db/schema";
import { PaperBroker } from "../../brokers/paper";
import { ManualClock } from "../../domain/clock";
import { createRng } from "../../domain/random";
import {
  CopyError,
  pauseCopy,
  resumeCopy,
  setAllocation,
  startCopy,
  stopCopy,
} from "../copies/intents";
import { checkCopyStopLoss } from "../copies/stops";
import { DEFAULT_CONFIG, silentLog, type EngineDeps, type EngineLog } from "../deps";
import { recordFunding } from "../book/funding";
import { ingestLeaderCash, ingestLeaderFill } from "../ingest/leader-events";
import { ensureLeaderBook } from "../ingest/leader-book";
import { drain, pump } from "../pump";
import { reconcile } from "../reconcile/reconcile";
import { utcDay } from "../replicate/plan-context";
import { markDayStart } from "../risk/day-marks";
import { feesAtMidnight } from "../fees/settle";
import { countingBroker, type CallCounts } from "./counting-broker";
import { workDueAt } from "./work-due";
import { buildReport, type Report } from "./report";
import { ScenarioError, type Scenario, type ScenarioEvent } from "./scenario";

/**
 * Feeds a scenario through the real engine — the same ingestion, replication, risk,
 * execution and reconciliation code the worker runs — against the paper broker, on the
 * (throwaway, migrated) database given. Time is a manual clock moved to each event's time;
 * retries wait on it, never on a real timer. Same scenario, same report.
 */
export async function runReplay(
  db: Db,
  scenario: Scenario,
  opts: {
    log?: EngineLog;
    /** After each scenario event (what-if runs report progress and may stop the run). */
    onEvent?: (done: number, total: number, at: Date) => Promise<void>;
    /** Run the pump before every event even when nothing is due (tests compare both ways). */
    everyPass?: boolean;
  } = {},
): Promise<Report> {
  const first = scenario.events[0]?.at ?? "2026-01-01T00:00:00Z";
  const clock = new ManualClock(new Date(first));
  const seed = scenario.seed ?? scenario.name;
  const paper = new PaperBroker({ db, clock, seed: `paper:${seed}` });
  const counts = new Map<string, CallCounts>();
  const counted = countingBroker(paper, counts);
  const deps: EngineDeps = {
    db,
    broker: () => counted,
    clock,
    rng: createRng(`engine:${seed}`),
    log: opts.log ?? silentLog,
    config: DEFAULT_CONFIG,
    owner: "replay",
  };
  const now = clock.now();
  const advanceTo = (at: Date) => {
    if (at > clock.now()) clock.set(at);
  };

  await db.insert(instruments).values(
    scenario.instruments.map((i) => ({
      symbol: i.symbol,
      name: i.symbol,
      assetClass: "equity" as const,
      currency: i.currency,
      tickSize: i.tickSize,
      qtyStep: i.qtyStep,
      minQty: i.minQty,
      minNotional: i.minNotional,
      multiplier: i.multiplier,
      maxLeverage: "1",
      commissionPerUnit: i.commissionPerUnit,
      tradingHours: { timeZone: "UTC", sessions: [] },
    })),
  );

  // The leader is known only through the fills the scenario reports: no broker account trades.
  const [lu] = await db
    .insert(users)
    .values({
      id: uuidFor(seed, `user:${scenario.leader.id}`),
      email: `${slug(scenario.leader.id)}@replay.invalid`,
      passwordHash: "!",
      displayName: scenario.leader.id,
      role: "leader",
    })
    .returning();
  const [la] = await db
    .insert(brokerAccounts)
    .values({
      id: uuidFor(seed, `acct:${scenario.leader.id}`),
      userId: lu!.id,
      broker: "replay-leader",
      externalId: scenario.leader.id,
    })
    .returning();
  const [leader] = await db
    .insert(leaders)
    .values({
      id: uuidFor(seed, `leader:${scenario.leader.id}`),
      userId: lu!.id,
      handle: slug(scenario.leader.id),
      displayName: scenario.leader.id,
      brokerAccountId: la!.id,
      trackRecordStartedAt: now,
    })
    .returning();
  await ensureLeaderBook(db, leader!.id, scenario.leader.cash, now);

  const followers = new Map<
    string,
    { accountId: string; relationshipId: string; userId: string }
  >();
  // The followers' users, accounts and balances with one statement each (ids are derived,
  // so nothing needs to be read back); each copy then starts through startCopy, the web's
  // own path, in scenario order.
  const people = scenario.followers.map((f) => ({
    f,
    userId: uuidFor(seed, `user:${f.id}`),
    accountId: uuidFor(seed, `acct:${f.id}`),
  }));
  if (people.length) {
    await db.insert(users).values(
      people.map(({ f, userId }) => ({
        id: userId,
        email: `${slug(f.id)}@replay.invalid`,
        passwordHash: "!",
        displayName: f.id,
        role: "follower" as const,
      })),
    );
    await db.insert(brokerAccounts).values(
      people.map(({ f, userId, accountId }) => ({
        id: accountId,
        userId,
        broker: "paper",
        externalId: f.id,
      })),
    );
    await db.insert(accountBalances).values(
      people.map(({ f, accountId }) => ({
        brokerAccountId: accountId,
        currency: scenario.instruments[0]!.currency,
        cash: f.cash,
        updatedAt: now,
      })),
    );
  }
  for (const { f, userId, accountId } of people) {
    await paper.openAccount({ accountId: f.id, cash: f.cash });
    const s = f.copy.sizing;
    const relationshipId = await startCopy(deps, {
      id: uuidFor(seed, `copy:${f.id}`),
      followerId: userId,
      leaderId: leader!.id,
      brokerAccountId: accountId,
      sizing: {
        mode: s.mode,
        ...("allocation" in s ? { allocation: s.allocation } : {}),
        ...("factor" in s ? { factor: s.factor } : {}),
        ...("notional" in s ? { notional: s.notional } : {}),
      },
      risk: {
        copyStopLossPct: f.copy.risk?.copyStopLossPct ?? null,
        maxSymbolExposure: f.copy.risk?.maxSymbolExposure ?? null,
        maxOpenPositions: f.copy.risk?.maxOpenPositions ?? null,
        maxSlippageBps: f.copy.risk?.maxSlippageBps ?? null,
        dailyLossLimit: f.copy.risk?.dailyLossLimit ?? null,
      },
      onInsufficientFunds: f.copy.onInsufficientFunds,
      fees: f.copy.fees
        ? {
            performanceFeePct: f.copy.fees.performanceFeePct ?? null,
            managementFeePctYear: f.copy.fees.managementFeePctYear ?? null,
            platformFeeBps: f.copy.fees.platformFeeBps ?? null,
            period: f.copy.fees.period ?? "month",
          }
        : undefined,
      agreementVersion: "replay",
    });
    followers.set(f.id, { accountId, relationshipId, userId });
  }
  const followerAccounts = async () => [...followers.values()].map((f) => f.accountId).sort();
  // True while nothing has written since a pass that moved nothing (pump returns after one):
  // then only the clock can have made work, and `workDueAt` says whether it did.
  let quiescent = false;
  const run = async () => {
    await pump(deps, { accounts: followerAccounts });
    quiescent = true;
  };

  let day = utcDay(clock.now());
  for (const [i, ev] of scenario.events.entries()) {
    // Each 00:00 UTC passed, in order: what was due before it runs first; then the day
    // that ended accrues its management fee and a period that ended is settled, at the
    // last quotes; then each copy's P&L becomes the next day's daily-loss reference.
    while (utcDay(new Date(ev.at)) !== day) {
      const midnight = new Date(Date.parse(`${day}T00:00:00.000Z`) + 86_400_000);
      advanceTo(midnight);
      await run();
      await feesAtMidnight(deps, midnight);
      await markDayStart(deps, midnight);
      quiescent = false;
      day = utcDay(midnight);
    }
    advanceTo(new Date(ev.at));
    // Retries that came due by now go first. The pass is skipped when the engine was left
    // quiescent and the clock made nothing due (work-due.ts says why that is exact).
    if (opts.everyPass || !quiescent || (await workDueAt(db, clock.now()))) await run();
    let madeWork = true;
    try {
      madeWork = await apply(ev);
    } catch (err) {
      // An event the accounts cannot honour is a scenario error: name it, like a schema error.
      if (err instanceof CopyError && err.code === "INSUFFICIENT_FUNDS") {
        throw new ScenarioError(
          `events[${i}].amount: ${ev.type === "cash" ? ev.account : ""} cannot withdraw ${ev.type === "cash" ? ev.amount.replace("-", "") : ""}: ${err.message}`,
        );
      }
      throw err;
    }
    if (madeWork) await run();
    else if (ev.type !== "quote") quiescent = false; // a fault or a limit was written
    await opts.onEvent?.(i + 1, scenario.events.length, clock.now());
  }
  await drain(deps, { advanceTo, accounts: followerAccounts });
  return buildReport(db, { scenario, leaderId: leader!.id, followers, counts });

  /**
   * Applies one event; false when it left the engine with nothing to do, so the pass after
   * it is skipped (ADR 0041, session 4: a pass costs about a dozen statements even when
   * nothing moves). The engine is quiescent before every event (the run before it) and the
   * clock does not move within one, so only what the event itself wrote can make work: a
   * fault or a liquidity limit changes only how the paper broker answers later calls, and a
   * quote whose fills were already processed makes work only if it stopped a copy.
   */
  async function apply(ev: ScenarioEvent): Promise<boolean> {
    const at = new Date(ev.at);
    switch (ev.type) {
      case "quote":
        await paper.onQuote({ symbol: ev.symbol, bid: ev.bid, ask: ev.ask, at });
        await run();
        return (await checkCopyStopLoss(deps, ev.symbol)).length > 0;
      case "leader_fill":
        await ingestLeaderFill(deps, {
          leaderId: leader!.id,
          fillId: ev.fillId,
          orderId: ev.orderId,
          symbol: ev.symbol,
          side: ev.side,
          qty: ev.qty,
          price: ev.price,
          at,
        });
        return true;
      case "liquidity":
        await paper.setLiquidity(ev.symbol, ev.maxFillQty);
        return false;
      case "fault":
        await paper.injectFault(ev.account, ev.fault, ev.count);
        return false;
      case "copy_action": {
        const f = followers.get(ev.follower)!;
        if (ev.action === "pause")
          await pauseCopy(deps, f.relationshipId, "scenario").catch(ignoreState);
        else if (ev.action === "resume")
          await resumeCopy(deps, f.relationshipId, "scenario").catch(ignoreState);
        else if (ev.action === "stop")
          await stopCopy(deps, f.relationshipId, { reason: "STOPPED", by: "scenario" });
        else
          await setAllocation(deps, f.relationshipId, ev.allocation!, "scenario").catch(
            ignoreState,
          );
        return true;
      }
      case "cash":
        if (ev.account === scenario.leader.id) {
          await ingestLeaderCash(deps, leader!.id, ev.amount, at);
        } else {
          const f = followers.get(ev.account)!;
          await recordFunding(deps, {
            brokerAccountId: f.accountId,
            amount: ev.amount,
            by: "scenario",
          });
          await paper.deposit(ev.account, ev.amount);
        }
        return true;
      case "reconcile":
        await reconcile(deps, "on_demand");
        return true;
    }
  }
}

/** A copy action that does not apply (resume an active copy, act on a stopped one) is a no-op. */
function ignoreState(err: unknown): void {
  if (
    err instanceof Error &&
    "code" in err &&
    (err.code === "INVALID_STATE" || err.code === "NOT_FOUND")
  )
    return;
  throw err;
}

function slug(id: string): string {
  return id.toLowerCase().replace(/[^a-z0-9]+/g, "-") || "x";
}

/** Deterministic UUIDs, so client order ids (and so the report) are the same every run. */
export function uuidFor(seed: string | number, label: string): string {
  const h = createHash("sha256").update(`${seed}\u0000${label}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * Tells a database made for one replay (the CLI's, a what-if's, the bench's) that its commits
 * need not wait for the disk: `synchronous_commit = off` for every connection opened after
 * this. Transactions stay atomic and isolated and the report is the same; only a crash of
 * the server could lose the last commits, and a crash loses the throwaway run anyway. A
 * replay commits after almost every statement, and one WAL flush costs ~3.5 ms on this
 * machine's disk, which was a third of a decision (ADR 0041, session 4). Call it before
 * connecting the replay's pool; never on a database that outlives the run.
 */
export async function forgoDurability(url: string): Promise<void> {
  const c = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [row] = await c<{ name: string }[]>`select current_database() as name`;
    await c`alter database ${c(row!.name)} set synchronous_commit = off`;
  } finally {
    await c.end();
  }
}
