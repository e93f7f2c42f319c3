import { and, desc, eq, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import {
  auditLog,
  brokerAccounts,
  copyRelationships,
  leaderApplications,
  leaders,
  notifications,
  orders,
  users,
} from "../../db/schema";

/**
 * Leader applications (docs/adr/0051): a follower applies with the account they trade; staff
 * decide with the applicant's history beside it; approval creates the leader profile with
 * createLeaderProfile (the one function the demo seed uses too) and makes the user a leader.
 */

export class ApplicationError extends Error {
  constructor(
    readonly code: "NOT_FOUND" | "CONFLICT" | "FORBIDDEN" | "BAD_REQUEST",
    message: string,
  ) {
    super(message);
  }
}

type Executor = Pick<Db, "insert" | "update" | "select">;

/** A leader row for a user and the account they trade: seeds and approvals alike. */
export async function createLeaderProfile(
  db: Executor,
  p: {
    userId: string;
    handle: string;
    displayName: string;
    bio?: string;
    strategy: string;
    brokerAccountId: string;
    trackRecordStartedAt: Date;
    performanceFeePct?: string;
  },
) {
  const [leader] = await db
    .insert(leaders)
    .values({
      userId: p.userId,
      handle: p.handle,
      displayName: p.displayName,
      bio: p.bio ?? "",
      strategy: p.strategy,
      brokerAccountId: p.brokerAccountId,
      performanceFeePct: p.performanceFeePct ?? "0",
      trackRecordStartedAt: p.trackRecordStartedAt,
    })
    .returning();
  return leader!;
}

export type ApplyInput = {
  displayName: string;
  handle: string;
  strategy: string;
  instruments: string[];
  brokerAccountId: string;
};

/** The accounts a user may apply with: their own, still connected. */
export async function applicableAccounts(db: Db, userId: string) {
  return db
    .select({
      id: brokerAccounts.id,
      broker: brokerAccounts.broker,
      label: brokerAccounts.label,
      mode: brokerAccounts.mode,
    })
    .from(brokerAccounts)
    .where(
      and(eq(brokerAccounts.userId, userId), sql`${brokerAccounts.syncState} <> 'disconnected'`),
    );
}

const UNIQUE = "23505";
const pgCode = (e: unknown) =>
  (e as { code?: string; cause?: { code?: string } })?.code ??
  (e as { cause?: { code?: string } })?.cause?.code;

export async function applyToLead(db: Db, user: { id: string; role: string }, input: ApplyInput) {
  if (user.role !== "follower")
    throw new ApplicationError("FORBIDDEN", "Only followers can apply: you already have a role.");
  const mine = await applicableAccounts(db, user.id);
  if (!mine.some((a) => a.id === input.brokerAccountId))
    throw new ApplicationError(
      "BAD_REQUEST",
      "Trading account: choose one of your own connected accounts.",
    );
  const [taken] = await db
    .select({ id: leaders.id })
    .from(leaders)
    .where(eq(leaders.handle, input.handle));
  if (taken)
    throw new ApplicationError("CONFLICT", "Handle: that handle is taken; choose another.");
  try {
    return await db.transaction(async (tx) => {
      const [row] = await tx
        .insert(leaderApplications)
        .values({ userId: user.id, ...input })
        .returning();
      await tx.insert(auditLog).values({
        actorUserId: user.id,
        action: "leader_application.submitted",
        targetType: "leader_application",
        targetId: row!.id,
        details: { handle: input.handle, brokerAccountId: input.brokerAccountId },
      });
      return row!;
    });
  } catch (err) {
    if (pgCode(err) === UNIQUE)
      throw new ApplicationError(
        "CONFLICT",
        "You already have an application waiting for a decision.",
      );
    throw err;
  }
}

export async function myApplications(db: Db, userId: string) {
  return db
    .select()
    .from(leaderApplications)
    .where(eq(leaderApplications.userId, userId))
    .orderBy(desc(leaderApplications.createdAt));
}

export async function listApplications(db: Db, status: "pending" | "all") {
  return db
    .select({
      id: leaderApplications.id,
      handle: leaderApplications.handle,
      displayName: leaderApplications.displayName,
      status: leaderApplications.status,
      createdAt: leaderApplications.createdAt,
      email: users.email,
    })
    .from(leaderApplications)
    .innerJoin(users, eq(users.id, leaderApplications.userId))
    .where(status === "pending" ? eq(leaderApplications.status, "pending") : undefined)
    .orderBy(desc(leaderApplications.createdAt))
    .limit(200);
}

/** One application with what a reviewer needs: account age, copies, orders, recent audit. */
export async function applicationForReview(db: Db, id: string) {
  const [app] = await db
    .select({
      application: leaderApplications,
      email: users.email,
      userCreatedAt: users.createdAt,
      account: {
        broker: brokerAccounts.broker,
        label: brokerAccounts.label,
        mode: brokerAccounts.mode,
      },
    })
    .from(leaderApplications)
    .innerJoin(users, eq(users.id, leaderApplications.userId))
    .innerJoin(brokerAccounts, eq(brokerAccounts.id, leaderApplications.brokerAccountId))
    .where(eq(leaderApplications.id, id));
  if (!app) return null;
  const userId = app.application.userId;
  const [copies] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(copyRelationships)
    .where(eq(copyRelationships.followerId, userId));
  const [trades] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(orders)
    .innerJoin(brokerAccounts, eq(brokerAccounts.id, orders.brokerAccountId))
    .where(eq(brokerAccounts.userId, userId));
  const audit = await db
    .select({ action: auditLog.action, at: auditLog.at })
    .from(auditLog)
    .where(eq(auditLog.actorUserId, userId))
    .orderBy(desc(auditLog.at))
    .limit(20);
  return {
    ...app,
    history: { copies: copies?.n ?? 0, orders: trades?.n ?? 0, audit },
  };
}

/**
 * Approves or refuses a pending application, with a reason in words. The row is locked and
 * must still be pending (two reviewers cannot both decide it); nobody decides their own.
 * Approval creates the leader profile, makes the user a leader, and tells them in the feed.
 */
export async function decideApplication(
  db: Db,
  reviewer: { id: string; role: string },
  input: { id: string; decision: "approve" | "refuse"; reason: string },
  now: Date = new Date(),
) {
  if (reviewer.role !== "admin" && reviewer.role !== "support")
    throw new ApplicationError("FORBIDDEN", "Only support or an admin can decide applications.");
  return db.transaction(async (tx) => {
    const [app] = await tx
      .select()
      .from(leaderApplications)
      .where(eq(leaderApplications.id, input.id))
      .for("update");
    if (!app) throw new ApplicationError("NOT_FOUND", "No such application.");
    if (app.userId === reviewer.id)
      throw new ApplicationError("FORBIDDEN", "You cannot decide your own application.");
    if (app.status !== "pending")
      throw new ApplicationError("CONFLICT", `This application was already ${app.status}.`);
    let leaderId: string | null = null;
    if (input.decision === "approve") {
      const [taken] = await tx
        .select({ id: leaders.id })
        .from(leaders)
        .where(eq(leaders.handle, app.handle));
      if (taken)
        throw new ApplicationError(
          "CONFLICT",
          "Handle: another leader took this handle meanwhile; refuse with that reason.",
        );
      const leader = await createLeaderProfile(tx as unknown as Db, {
        userId: app.userId,
        handle: app.handle,
        displayName: app.displayName,
        strategy: app.strategy,
        brokerAccountId: app.brokerAccountId,
        trackRecordStartedAt: now,
      });
      leaderId = leader.id;
      await tx.update(users).set({ role: "leader" }).where(eq(users.id, app.userId));
    }
    const status = input.decision === "approve" ? "approved" : "refused";
    await tx
      .update(leaderApplications)
      .set({ status, reason: input.reason, reviewedBy: reviewer.id, reviewedAt: now, leaderId })
      .where(eq(leaderApplications.id, app.id));
    await tx.insert(auditLog).values({
      actorUserId: reviewer.id,
      action: `leader_application.${status}`,
      targetType: "leader_application",
      targetId: app.id,
      details: { applicant: app.userId, reason: input.reason, leaderId },
    });
    // The applicant hears it in their feed (one notice per decision: the dedupe key).
    await tx.insert(notifications).values({
      userId: app.userId,
      kind: "leader_application",
      title:
        status === "approved" ? "You are a leader now" : "Your leader application was not approved",
      body:
        status === "approved"
          ? `Approved: ${input.reason} Set up a second factor to open your leader console.`
          : `Refused: ${input.reason}`,
      link: status === "approved" ? "/leader" : "/apply",
      dedupeKey: `leader_application:${app.id}`,
    });
    return { status, leaderId };
  });
}

/**
 * The applicant takes back their own pending application (docs/adr/0051 amendment). The row
 * is locked and must still be pending, so a withdrawal and a reviewer's decision cannot both
 * land; the partial unique index then lets them apply again later. Audited.
 */
export async function withdrawApplication(db: Db, applicant: { id: string }, id: string) {
  return db.transaction(async (tx) => {
    const [app] = await tx
      .select()
      .from(leaderApplications)
      .where(and(eq(leaderApplications.id, id), eq(leaderApplications.userId, applicant.id)))
      .for("update");
    // Someone else's application is "no such application": its id tells the caller nothing.
    if (!app) throw new ApplicationError("NOT_FOUND", "No such application.");
    if (app.status !== "pending")
      throw new ApplicationError("CONFLICT", `This application was already ${app.status}.`);
    await tx
      .update(leaderApplications)
      .set({ status: "withdrawn" })
      .where(eq(leaderApplications.id, app.id));
    await tx.insert(auditLog).values({
      actorUserId: applicant.id,
      action: "leader_application.withdrawn",
      targetType: "leader_application",
      targetId: app.id,
      details: { handle: app.handle },
    });
    return { id: app.id, status: "withdrawn" as const };
  });
}
