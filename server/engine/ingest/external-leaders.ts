import { and, eq, isNotNull, isNull, ne } from "drizzle-orm";
import {
  accountBalances,
  brokerAccounts,
  externalLeaderCursors,
  leaderBooks,
  leaderPositions,
  leaders,
} from "../../../db/schema";
import { D, fmt } from "../../domain/money";
import { CopyError } from "../copies/intents";
import type { BrokerFill, BrokerOrderEvent } from "../../brokers/types";
import { leaderFillOf } from "../book/broker-events";
import type { EngineDeps } from "../deps";
import { ingestLeaderCash, ingestLeaderFill } from "./leader-events";

/**
 * Makes a connected account the leader's trading account: from now on what the leader does
 * there is what followers copy. Only from flat (the leader book has no position): a book
 * carried from one account to another would no longer be what any broker holds. The leader's
 * cash becomes the account's cash through the one path for leader money (ingestLeaderCash,
 * which re-fixes proportional ratios), and fills from now on are ingested (`since`).
 */
export async function linkExternalLeaderAccount(
  deps: EngineDeps,
  leaderId: string,
  brokerAccountId: string,
): Promise<void> {
  const now = deps.clock.now();
  await deps.db.transaction(async (tx) => {
    await tx
      .insert(leaderBooks)
      .values({ leaderId, cash: "0", updatedAt: now })
      .onConflictDoNothing();
    const [book] = await tx
      .select()
      .from(leaderBooks)
      .where(eq(leaderBooks.leaderId, leaderId))
      .for("update");
    const open = await tx
      .select({ symbol: leaderPositions.symbol })
      .from(leaderPositions)
      .where(and(eq(leaderPositions.leaderId, leaderId), ne(leaderPositions.qty, "0")));
    if (open.length)
      throw new CopyError(
        "INVALID_STATE",
        `Trading account: close your open positions (${open.map((p) => p.symbol).join(", ")}) before you switch accounts; followers copy positions from one account at a time.`,
      );
    const [bal] = await tx
      .select({ cash: accountBalances.cash })
      .from(accountBalances)
      .where(eq(accountBalances.brokerAccountId, brokerAccountId));
    await tx.update(leaders).set({ brokerAccountId }).where(eq(leaders.id, leaderId));
    await tx
      .insert(externalLeaderCursors)
      .values({ brokerAccountId, cursor: null, since: now, updatedAt: now })
      .onConflictDoUpdate({
        target: externalLeaderCursors.brokerAccountId,
        set: { since: now, updatedAt: now },
      });
    const delta = D(bal?.cash ?? "0").minus(book!.cash);
    if (!delta.isZero())
      await ingestLeaderCash(
        { ...deps, db: tx as unknown as typeof deps.db },
        leaderId,
        fmt(delta),
        now,
      );
  });
}

/**
 * Leaders who trade at their own broker (Alpaca), in the broker's own app rather than
 * through Tandem's ticket: their fills enter the leader stream through the one ingestion
 * path, `ingestLeaderFill`, exactly once per broker trade id (docs/adr/0023).
 *
 * Two sources, one identity: the adapter's stream subscription (fast: a fill is ingested
 * as it is delivered) and `fillsSince` past a stored cursor (complete: the broker's record
 * of fills, read every `pollMs` and at start, so a message dropped or a worker restarted
 * never loses a fill). Both name a fill by the same trade id, and ingestion ignores a trade
 * id it has seen, so duplicates from either source, or from both, change nothing.
 */

/** What this loop needs of an adapter (AlpacaBroker has it). */
export type ExternalFillSource = {
  fillsSince(
    accountId: string,
    cursor: string | null,
  ): Promise<{ fills: BrokerFill[]; cursor: string | null }>;
  subscribe(accountId: string, listener: (e: BrokerOrderEvent) => void): Promise<() => void>;
  forget?(accountId: string): Promise<void>;
};

type Linked = { leaderId: string; brokerAccountId: string; externalId: string };

export type ExternalLeaders = {
  /** Subscribes new leader accounts, drops unlinked ones, polls those that are due. */
  tick(): Promise<number>;
  /** Reads the complete record of one account now (tests, on demand). */
  poll(brokerAccountId: string): Promise<number>;
  /** Resolves when every fill delivered by a stream so far has been ingested. */
  settled(): Promise<void>;
  stop(): Promise<void>;
};

/**
 * Starts the subscriptions on the first tick; the worker calls `tick()` from its loop.
 * `brokerName`: the accounts' broker column this source serves.
 */
export function startExternalLeaders(
  deps: EngineDeps,
  source: ExternalFillSource,
  opts: { brokerName?: string; pollMs?: number } = {},
): ExternalLeaders {
  const brokerName = opts.brokerName ?? "alpaca";
  const pollMs = opts.pollMs ?? 5_000;
  const subs = new Map<string, { unsubscribe: () => void; link: Linked }>();
  const lastPoll = new Map<string, number>();
  // One chain per account: stream fills are ingested in the order they were delivered.
  const chains = new Map<string, Promise<void>>();
  let stopped = false;

  const sinceOf = async (brokerAccountId: string): Promise<Date> => {
    const [row] = await deps.db
      .select({ since: externalLeaderCursors.since })
      .from(externalLeaderCursors)
      .where(eq(externalLeaderCursors.brokerAccountId, brokerAccountId));
    return row?.since ?? new Date(0);
  };

  const ingest = async (link: Linked, fill: BrokerFill, since: Date): Promise<boolean> => {
    // Fills from before the account became the leader's are history, not trades to copy.
    if (fill.at < since) return false;
    return (await ingestLeaderFill(deps, leaderFillOf(link.leaderId, fill))) !== null;
  };

  const linked = async (): Promise<Linked[]> =>
    deps.db
      .select({
        leaderId: leaders.id,
        brokerAccountId: brokerAccounts.id,
        externalId: brokerAccounts.externalId,
      })
      .from(leaders)
      .innerJoin(brokerAccounts, eq(brokerAccounts.id, leaders.brokerAccountId))
      .where(
        and(
          eq(brokerAccounts.broker, brokerName),
          isNotNull(brokerAccounts.apiSecretSealed),
          isNull(brokerAccounts.disconnectedAt),
        ),
      )
      .orderBy(leaders.id);

  const poll = async (link: Linked): Promise<number> => {
    const [row] = await deps.db
      .select()
      .from(externalLeaderCursors)
      .where(eq(externalLeaderCursors.brokerAccountId, link.brokerAccountId));
    const since = row?.since ?? new Date(0);
    const { fills, cursor } = await source.fillsSince(link.externalId, row?.cursor ?? null);
    let added = 0;
    for (const f of fills) if (await ingest(link, f, since)) added++;
    // The cursor moves only after every fill before it is in the stream (or was seen).
    const now = deps.clock.now();
    await deps.db
      .insert(externalLeaderCursors)
      .values({ brokerAccountId: link.brokerAccountId, cursor, since, updatedAt: now })
      .onConflictDoUpdate({
        target: externalLeaderCursors.brokerAccountId,
        set: { cursor, updatedAt: now },
      });
    await deps.db
      .update(brokerAccounts)
      .set({ syncedAt: now })
      .where(eq(brokerAccounts.id, link.brokerAccountId));
    lastPoll.set(link.brokerAccountId, Date.now());
    if (added)
      deps.log.info(
        { leaderId: link.leaderId, brokerAccountId: link.brokerAccountId, added },
        "external leader fills ingested from the broker's record",
      );
    return added;
  };

  const subscribe = async (link: Linked) => {
    const since = await sinceOf(link.brokerAccountId);
    const unsubscribe = await source.subscribe(link.externalId, (e) => {
      if (!e.fill || stopped) return;
      const fill = e.fill;
      const prev = chains.get(link.brokerAccountId) ?? Promise.resolve();
      const next = prev
        .then(() => ingest(link, fill, since))
        .then(
          () => {},
          (err: unknown) =>
            // Not lost: the next poll of the broker's record ingests it.
            deps.log.warn(
              { err, leaderId: link.leaderId, tradeId: fill.tradeId },
              "external leader fill from the stream not ingested; the next poll will",
            ),
        );
      chains.set(link.brokerAccountId, next);
    });
    subs.set(link.brokerAccountId, { unsubscribe, link });
  };

  const tick = async (): Promise<number> => {
    if (stopped) return 0;
    const now = await linked();
    const ids = new Set(now.map((l) => l.brokerAccountId));
    for (const [id, s] of subs)
      if (!ids.has(id)) {
        s.unsubscribe();
        subs.delete(id);
        lastPoll.delete(id);
        await source.forget?.(s.link.externalId);
      }
    let added = 0;
    for (const link of now) {
      try {
        if (!subs.has(link.brokerAccountId)) await subscribe(link);
        const last = lastPoll.get(link.brokerAccountId);
        if (last === undefined || Date.now() - last >= pollMs) added += await poll(link);
      } catch (err) {
        // One leader's broker being unreachable does not hold up the others.
        deps.log.warn(
          { err, leaderId: link.leaderId, brokerAccountId: link.brokerAccountId },
          "external leader account could not be read; retrying",
        );
      }
    }
    return added;
  };

  return {
    tick,
    async poll(brokerAccountId) {
      const link = (await linked()).find((l) => l.brokerAccountId === brokerAccountId);
      return link ? poll(link) : 0;
    },
    async settled() {
      await Promise.all([...chains.values()]);
    },
    async stop() {
      stopped = true;
      for (const s of subs.values()) s.unsubscribe();
      subs.clear();
      await Promise.all([...chains.values()]);
    },
  };
}
