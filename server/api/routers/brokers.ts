import "server-only";
import { randomUUID } from "node:crypto";
import { TRPCError } from "@trpc/server";
import { and, asc, eq, inArray, isNull, ne, sql } from "drizzle-orm";
import type { Db } from "../../../db/client";
import {
  accountBalances,
  auditLog,
  brokerAccounts,
  circuitBreakers,
  copyRelationships,
  leaders,
} from "../../../db/schema";
import {
  maskKeyId,
  secretBox,
  secretContext,
  verifyAlpacaKey,
  type AlpacaMode,
} from "../../brokers/alpaca/accounts";
import { BrokerError } from "../../brokers/types";
import { requireStepUp } from "../../auth/step-up";
import { checked, choiceField, form, idField, textField } from "../../domain/inputs";
import { recordFunding } from "../../engine/book/funding";
import { linkExternalLeaderAccount } from "../../engine/ingest/external-leaders";
import { engineDepsForWeb } from "../../engine/web-deps";
import { protectedProcedure, router } from "../trpc";
import { engineCall, notFound } from "./errors";
import { inRequestTx } from "./request-tx";

/**
 * Broker accounts of the caller: list, connect an Alpaca paper or live account with its API
 * key (verified at Alpaca before anything is saved), disconnect, and — for a leader — make
 * one the trading account whose fills followers copy (docs/adr/0022).
 *
 * Connecting is the one place the web app talks to a broker: one read of the account, made
 * while the person waits, because a key that does not work must be refused on the spot. The
 * secret goes from the request into the secret box and nowhere else: not into logs, audit
 * rows, errors or any answer (only `PK…1234` is ever shown).
 */

export const connectInput = form({
  broker: choiceField("Broker", ["alpaca"], "Alpaca"),
  mode: choiceField("Mode", ["paper", "live"], "paper or live"),
  keyId: textField({ label: "API key ID", min: 8, max: 64 }).refine(
    (v) => /^[A-Za-z0-9]+$/.test(v),
    "API key ID: letters and digits only, as Alpaca shows it (PK… or AK…)",
  ),
  secret: textField({ label: "Secret key", min: 16, max: 128 }).refine(
    (v) => /^[\x21-\x7e]+$/.test(v),
    "Secret key: paste it exactly as Alpaca shows it, without spaces",
  ),
  label: textField({ label: "Name", min: 1, max: 40 }).optional(),
});

export const accountIdInput = form({ id: idField("Account") });

const MASK_AFTER_USE = "Nothing was saved.";

function brokerProblem(err: unknown): never {
  if (err instanceof BrokerError) {
    if (err.kind === "rejected" && /API key/i.test(err.message))
      throw new TRPCError({
        code: "BAD_REQUEST",
        message: `API key ID: Alpaca did not accept this key and secret. Check both, and that the key belongs to the mode you chose (paper keys start with PK). ${MASK_AFTER_USE}`,
      });
    if (err.kind === "rejected" || err.kind === "not_found")
      throw new TRPCError({
        code: "BAD_REQUEST",
        message: `Alpaca refused to show this account. ${MASK_AFTER_USE}`,
      });
    throw new TRPCError({
      code: "SERVICE_UNAVAILABLE",
      message: `Alpaca could not be reached just now. ${MASK_AFTER_USE} Try again in a minute.`,
    });
  }
  throw new TRPCError({
    code: "SERVICE_UNAVAILABLE",
    message: `Alpaca could not be reached just now. ${MASK_AFTER_USE} Try again in a minute.`,
  });
}

/** The caller's accounts, for people: broker, mode, masked key, sync state, what uses it. */
export async function listBrokerAccounts(db: Db, userId: string) {
  const rows = await db
    .select({ a: brokerAccounts, cash: accountBalances.cash })
    .from(brokerAccounts)
    .leftJoin(accountBalances, eq(accountBalances.brokerAccountId, brokerAccounts.id))
    .where(eq(brokerAccounts.userId, userId))
    .orderBy(asc(brokerAccounts.createdAt), asc(brokerAccounts.id));
  if (!rows.length) return [];
  const ids = rows.map((r) => r.a.id);
  const copies = await db
    .select({ id: copyRelationships.brokerAccountId, n: sql<number>`count(*)::int` })
    .from(copyRelationships)
    .where(
      and(inArray(copyRelationships.brokerAccountId, ids), ne(copyRelationships.status, "stopped")),
    )
    .groupBy(copyRelationships.brokerAccountId);
  const [leader] = await db
    .select({ accountId: leaders.brokerAccountId })
    .from(leaders)
    .where(eq(leaders.userId, userId));
  const breakers = await db
    .select({ key: circuitBreakers.scopeKey, reason: circuitBreakers.reason })
    .from(circuitBreakers)
    .where(and(eq(circuitBreakers.scope, "broker"), isNull(circuitBreakers.closedAt)));
  return rows.map(({ a, cash }) => ({
    id: a.id,
    broker: a.broker,
    label: a.label,
    mode: a.mode as AlpacaMode,
    currency: a.currency,
    cash: cash ?? "0",
    keyId: maskKeyId(a.apiKeyId),
    connected: a.broker === "paper" || (a.apiSecretSealed !== null && a.disconnectedAt === null),
    syncState: a.syncState,
    syncProblem: a.syncProblem,
    syncedAt: a.syncedAt,
    connectedAt: a.connectedAt,
    liveCopies: copies.find((c) => c.id === a.id)?.n ?? 0,
    isLeaderAccount: leader?.accountId === a.id,
    /** Increases paused on this account (the broker refuses, or staff stopped it). */
    paused:
      breakers.find((b) => b.key === `${a.broker}:${a.id}` || b.key === a.broker)?.reason ?? null,
  }));
}

/**
 * An account the caller may start a copy into: their own, and connected (a disconnected
 * account has no key the worker could trade with). Null when it is not.
 */
export async function usableAccount(db: Db, userId: string, id: string) {
  const [a] = await db
    .select()
    .from(brokerAccounts)
    .where(and(eq(brokerAccounts.id, id), eq(brokerAccounts.userId, userId)));
  if (!a) return null;
  if (a.broker !== "paper" && (a.apiSecretSealed === null || a.disconnectedAt !== null))
    return null;
  return a;
}

export const brokersRouter = router({
  mine: protectedProcedure.query(({ ctx }) => listBrokerAccounts(ctx.db, ctx.viewer.id)),

  connect: protectedProcedure.input(checked(connectInput)).mutation(async ({ ctx, input }) => {
    // Before the key is even tried at Alpaca: a stolen cookie must not learn whether it works.
    await requireStepUp(ctx, "broker.connect");
    let v: Awaited<ReturnType<typeof verifyAlpacaKey>>;
    try {
      v = await verifyAlpacaKey(ctx.db, input.mode, {
        keyId: input.keyId,
        secretKey: input.secret,
      });
    } catch (err) {
      brokerProblem(err);
    }
    if (!v.ok)
      throw new TRPCError({
        code: "PRECONDITION_FAILED",
        message: `Alpaca says this account cannot trade: ${v.problem}. ${MASK_AFTER_USE}`,
      });
    const box = secretBox();
    const now = new Date();
    const id = await inRequestTx(ctx, async (db) => {
      // One Alpaca account is one Tandem account: the same account twice would trade twice.
      const [existing] = await db
        .select()
        .from(brokerAccounts)
        .where(
          and(
            eq(brokerAccounts.broker, "alpaca"),
            eq(brokerAccounts.externalId, v.alpacaAccountId),
          ),
        )
        .for("update");
      if (existing && existing.userId !== ctx.viewer.id)
        throw new TRPCError({
          code: "CONFLICT",
          message: `API key ID: this Alpaca account is already connected to another Tandem user. ${MASK_AFTER_USE}`,
        });
      if (existing && existing.apiSecretSealed && !existing.disconnectedAt)
        throw new TRPCError({
          code: "CONFLICT",
          message:
            "API key ID: this Alpaca account is already connected. Disconnect it first to change its key.",
        });
      const accountId = existing?.id ?? randomUUID();
      const creds = {
        mode: input.mode,
        apiKeyId: input.keyId,
        apiSecretSealed: box.seal(input.secret, secretContext(accountId)),
        syncState: "ok",
        syncProblem: null,
        syncedAt: now,
        connectedAt: now,
        disconnectedAt: null,
        currency: v.currency,
      };
      if (existing) {
        await db.update(brokerAccounts).set(creds).where(eq(brokerAccounts.id, accountId));
      } else {
        await db.insert(brokerAccounts).values({
          id: accountId,
          userId: ctx.viewer.id,
          broker: "alpaca",
          externalId: v.alpacaAccountId,
          label: input.label ?? `Alpaca ${input.mode}`,
          ...creds,
        });
        // The money is at Alpaca already: our books start from what Alpaca reports, with a
        // journal like any funding (nothing is transferred at the broker).
        if (!/^0(\.0+)?$/.test(v.cash))
          await engineCall(() =>
            recordFunding(engineDepsForWeb(db), {
              brokerAccountId: accountId,
              amount: v.cash,
              by: `broker-connect:${ctx.viewer.id}`,
              transferAtBroker: false,
            }),
          );
      }
      await db.insert(auditLog).values({
        actorUserId: ctx.viewer.id,
        action: "broker.connect",
        targetType: "broker_account",
        targetId: accountId,
        details: {
          broker: "alpaca",
          mode: input.mode,
          keyId: maskKeyId(input.keyId),
          alpacaStatus: v.status,
          buyingPower: v.buyingPower,
          reconnected: Boolean(existing),
        },
      });
      return accountId;
    });
    return { id, buyingPower: v.buyingPower, currency: v.currency };
  }),

  disconnect: protectedProcedure.input(checked(accountIdInput)).mutation(async ({ ctx, input }) => {
    await requireStepUp(ctx, "broker.disconnect");
    await inRequestTx(ctx, async (db) => {
      const [a] = await db
        .select()
        .from(brokerAccounts)
        .where(and(eq(brokerAccounts.id, input.id), eq(brokerAccounts.userId, ctx.viewer.id)))
        .for("update");
      if (!a) notFound("account");
      if (a.broker === "paper")
        throw new TRPCError({
          code: "BAD_REQUEST",
          message: "Account: the paper account inside Tandem cannot be disconnected.",
        });
      if (!a.apiSecretSealed || a.disconnectedAt)
        throw new TRPCError({ code: "CONFLICT", message: "Account: it is already disconnected." });
      const [live] = await db
        .select({ n: sql<number>`count(*)::int` })
        .from(copyRelationships)
        .where(
          and(eq(copyRelationships.brokerAccountId, a.id), ne(copyRelationships.status, "stopped")),
        );
      if ((live?.n ?? 0) > 0)
        throw new TRPCError({
          code: "PRECONDITION_FAILED",
          message: `Account: ${live!.n} copy${live!.n === 1 ? "" : "ies"} still trade${live!.n === 1 ? "s" : ""} in it. Stop ${live!.n === 1 ? "it" : "them"} first, then disconnect.`,
        });
      const [leader] = await db
        .select({ id: leaders.id })
        .from(leaders)
        .where(eq(leaders.brokerAccountId, a.id));
      if (leader)
        throw new TRPCError({
          code: "PRECONDITION_FAILED",
          message:
            "Account: it is your trading account as a leader; followers copy it. Switch your trading account first.",
        });
      // The key is gone; the row stays, because orders, fills and journals refer to it.
      await db
        .update(brokerAccounts)
        .set({
          apiKeyId: null,
          apiSecretSealed: null,
          disconnectedAt: new Date(),
          syncState: "disconnected",
          syncProblem: null,
        })
        .where(eq(brokerAccounts.id, a.id));
      await db.insert(auditLog).values({
        actorUserId: ctx.viewer.id,
        action: "broker.disconnect",
        targetType: "broker_account",
        targetId: a.id,
        details: { broker: a.broker, mode: a.mode, keyId: maskKeyId(a.apiKeyId) },
      });
    });
    return { ok: true };
  }),

  /** A leader's trading account becomes this connected account (from flat only). */
  useForLeading: protectedProcedure
    .input(checked(accountIdInput))
    .mutation(async ({ ctx, input }) => {
      const [leader] = await ctx.db
        .select({ id: leaders.id, accountId: leaders.brokerAccountId })
        .from(leaders)
        .where(eq(leaders.userId, ctx.viewer.id));
      if (!leader)
        throw new TRPCError({ code: "FORBIDDEN", message: "Only a leader has a trading account." });
      const a = await usableAccount(ctx.db, ctx.viewer.id, input.id);
      if (!a) notFound("connected account");
      if (leader.accountId === a.id) return { ok: true };
      const [copying] = await ctx.db
        .select({ id: copyRelationships.id })
        .from(copyRelationships)
        .where(
          and(eq(copyRelationships.brokerAccountId, a.id), ne(copyRelationships.status, "stopped")),
        );
      if (copying)
        throw new TRPCError({
          code: "PRECONDITION_FAILED",
          message: "Account: copies trade in it; a leader's trading account never copies anyone.",
        });
      await inRequestTx(ctx, async (db) => {
        await engineCall(() => linkExternalLeaderAccount(engineDepsForWeb(db), leader.id, a.id));
        await db.insert(auditLog).values({
          actorUserId: ctx.viewer.id,
          action: "leader.trading_account",
          targetType: "broker_account",
          targetId: a.id,
          details: { leaderId: leader.id, previous: leader.accountId, broker: a.broker },
        });
      });
      return { ok: true };
    }),
});
