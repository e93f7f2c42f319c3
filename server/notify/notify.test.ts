import { sql } from "drizzle-orm";
import nodemailer from "nodemailer";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { notificationOutbox, orders } from "../../db/schema";
import { createTestDb } from "../../test/db";
import { freePort } from "../../test/free-port";
import { createCaller } from "../api/root";
import { stopCopy } from "../engine/copies/intents";
import { openBreaker } from "../engine/risk/breakers";
import { makeWorld } from "../engine/testing/test-world";
import { deliverOutbox } from "./deliver";
import { deriveNotifications } from "./derive";

/**
 * Issue 11, notifications: derived from what the engine records, delivered by e-mail to a
 * real SMTP server started here (smtp-server), and read back from what arrived.
 */
type Mail = { to: string; subject: string; text: string; messageId: string };

function decodeMail(raw: string): Mail {
  const [head, ...rest] = raw.split(/\r?\n\r?\n/);
  const unfolded = head!.replace(/\r?\n[ \t]+/g, " ");
  const header = (name: string) =>
    new RegExp(`^${name}: (.*)$`, "im").exec(unfolded)?.[1]?.trim() ?? "";
  let body = rest.join("\n\n");
  if (/quoted-printable/i.test(header("Content-Transfer-Encoding"))) {
    const bytes = body
      .replace(/=\r?\n/g, "")
      .replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
    body = Buffer.from(bytes, "latin1").toString("utf8");
  } else if (/base64/i.test(header("Content-Transfer-Encoding"))) {
    body = Buffer.from(body.replace(/\s/g, ""), "base64").toString("utf8");
  }
  const subject = header("Subject").replace(/=\?utf-8\?Q\?(.*?)\?=/gi, (_, q: string) =>
    Buffer.from(
      q
        .replace(/_/g, " ")
        .replace(/=([0-9A-F]{2})/gi, (_x, h: string) => String.fromCharCode(parseInt(h, 16))),
      "latin1",
    ).toString("utf8"),
  );
  return {
    to: header("To"),
    subject,
    text: body.replace(/\r\n/g, "\n"),
    messageId: header("Message-ID"),
  };
}

let t: Awaited<ReturnType<typeof createTestDb>>;
let smtp: SMTPServer;
let port: number;
const inbox: Mail[] = [];
/** Recipients the server refuses for now (451): the retry path. */
const refuseOnce = new Set<string>();

beforeAll(async () => {
  t = await createTestDb();
  port = await freePort();
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onRcptTo(address, _session, cb) {
      if (refuseOnce.delete(address.address)) {
        const err = new Error("mailbox busy, try later") as Error & { responseCode: number };
        err.responseCode = 451;
        return cb(err);
      }
      cb();
    },
    onData(stream, _session, cb) {
      let raw = "";
      stream.on("data", (c: Buffer) => (raw += c.toString("latin1")));
      stream.on("end", () => {
        inbox.push(decodeMail(Buffer.from(raw, "latin1").toString("latin1")));
        cb();
      });
    },
  });
  await new Promise<void>((r) => smtp.listen(port, "127.0.0.1", () => r()));
});

afterAll(async () => {
  await new Promise<void>((r) => smtp.close(() => r()));
  await t.drop();
});

describe("notifications", () => {
  it("turns engine records into in-app notifications and e-mails, once each", async () => {
    const transport = nodemailer.createTransport(`smtp://127.0.0.1:${port}`);
    const appUrl = "http://tandem.test";
    let now = new Date("2026-06-01T12:00:00Z");
    const derive = () =>
      deriveNotifications(t.db, { now, settleMs: 0, batchWindowMs: 300_000, email: true, appUrl });
    const deliver = () =>
      deliverOutbox(t.db, transport, { from: "Tandem <n@tandem.test>", now: () => now });

    // Cursors start at the present: what happened before the notifier existed is no news.
    await derive();
    const w = await makeWorld(t.db, { followers: 2 });
    const [f0, f1] = w.followers;
    const owner = async (rel: string) =>
      (
        await t.db.execute<{ id: string; email: string }>(sql`
          select u.id, u.email from copy_relationships c join users u on u.id = c.follower_id
           where c.id = ${rel}`)
      )[0]!;
    const u0 = await owner(f0!.relationshipId);
    const u1 = await owner(f1!.relationshipId);

    // Copies started: in the feed; no e-mail by default for this kind.
    expect((await derive()).created).toBe(2);
    expect(await deliver()).toMatchObject({ sent: 0 });

    // Follower 1 wants stop-losses in the app only.
    const api1 = createCaller({
      db: t.db,
      viewer: { id: u1.id, email: u1.email, name: "F1", role: "follower" },
    });
    await api1.notifications.setPreference({ kind: "stop_loss", inApp: true, email: false });
    await expect(
      api1.notifications.setPreference({
        kind: "nonsense" as "stop_loss",
        inApp: true,
        email: true,
      }),
    ).rejects.toThrow(/Kind must be one of the notification kinds/);

    // Skipped and reduced trades, in two passes: one message for the copy.
    const decision = (id: number, action: string, reason: string, symbol = "XYZ") =>
      sql`(${f0!.relationshipId}, ${`lf-${id}`}, ${id}, ${symbol}, '10', '0', ${action}::decision_action, ${reason}, '[]'::jsonb, ${now.toISOString()}::timestamptz)`;
    const insertDecisions = (rows: ReturnType<typeof decision>[]) =>
      t.db.execute(sql`
        insert into copy_decisions (relationship_id, leader_fill_id, leader_event_seq, symbol, target, order_qty, action, reason, checks, at)
        values ${sql.join(rows, sql`, `)}`);
    await insertDecisions([
      decision(1, "skipped", "MAX_SYMBOL_EXPOSURE"),
      decision(2, "skipped", "MAX_SYMBOL_EXPOSURE", "ABC"),
      decision(3, "reduced", "INSUFFICIENT_FUNDS"),
      decision(4, "skipped", "PAUSED"), // the follower paused: no news
    ]);
    expect(await derive()).toMatchObject({ created: 1, merged: 0 });
    now = new Date(now.getTime() + 60_000);
    await insertDecisions([decision(5, "skipped", "MAX_SYMBOL_EXPOSURE")]);
    expect(await derive()).toMatchObject({ created: 0, merged: 1 });
    // The batch waits for its window to close before it is e-mailed.
    expect(await deliver()).toMatchObject({ sent: 0 });

    // A breaker on the leader (both copies); then a stop-loss hit for each follower
    // (follower 1: in the app only).
    await openBreaker(w.deps, {
      scope: "leader",
      key: w.leaderId,
      reason: "fill rate far above normal",
      by: "engine",
    });
    // The breaker's audience is the copies it halts (read before they stop), and, since the
    // engine opened it by itself, the leader (breaker_alert; the world has no admin).
    expect((await derive()).created).toBe(3);
    await stopCopy(w.deps, f0!.relationshipId, { reason: "COPY_STOP_LOSS", by: "engine" });
    await stopCopy(w.deps, f1!.relationshipId, { reason: "COPY_STOP_LOSS", by: "engine" });
    // A broker rejection of an order in follower 0's account.
    await t.db.insert(orders).values({
      clientOrderId: "c-rejected-1",
      brokerAccountId: f0!.accountId,
      relationshipId: f0!.relationshipId,
      symbol: "XYZ",
      side: "buy",
      qty: "5",
      status: "rejected",
      origin: "copy",
      rejectReason: "the market is closed",
      createdAt: now,
      updatedAt: now,
    });
    expect((await derive()).created).toBe(3); // 2 stop-losses, 1 rejection

    // One SMTP refusal: retried later, delivered once.
    refuseOnce.add(u0.email);
    const first = await deliver();
    expect(first.retried).toBe(1);
    expect(first.sent).toBe(4); // with the leader's breaker alert
    now = new Date(now.getTime() + 6 * 60_000); // past the retry and the batch window
    expect(await deliver()).toMatchObject({ sent: 2, retried: 0, failed: 0 });
    expect(await deliver()).toMatchObject({ sent: 0 });
    // Deriving again finds nothing new.
    expect(await derive()).toMatchObject({ created: 0, merged: 0 });

    const to0 = inbox.filter((m) => m.to.includes(u0.email));
    expect(to0.map((m) => m.subject).sort()).toEqual(
      [
        "4 trades from L not copied in full",
        "Copying of L is halted",
        "Order rejected: buy 5 XYZ",
        "Stop-loss hit: your copy of L stopped",
      ].sort(),
    );
    const batch = to0.find((m) => m.subject.startsWith("4 trades"))!;
    expect(batch.text).toContain("3 skipped, 1 reduced");
    expect(batch.text).toContain(
      "3 × It would have gone over your limit on exposure per instrument. (XYZ, ABC)",
    );
    expect(batch.text).toContain(`Details: ${appUrl}/copies/${f0!.relationshipId}`);
    expect(to0.find((m) => m.subject.startsWith("Order rejected"))!.text).toContain(
      "the market is closed",
    );
    // Every e-mail arrived once, each with its own stable Message-ID.
    expect(new Set(inbox.map((m) => m.messageId)).size).toBe(inbox.length);
    // Follower 1 chose no e-mail for stop-losses: only the breaker's arrived.
    expect(inbox.filter((m) => m.to.includes(u1.email)).map((m) => m.subject)).toEqual([
      "Copying of L is halted",
    ]);

    // The in-app feed, only the caller's own.
    const api0 = createCaller({
      db: t.db,
      viewer: { id: u0.id, email: u0.email, name: "F0", role: "follower" },
    });
    const feed = await api0.notifications.list();
    expect(feed.items.map((i) => i.kind)).toEqual([
      "order_rejected",
      "stop_loss",
      "breaker_halt",
      "trades_skipped",
      "copy_started",
    ]);
    expect(await api0.notifications.unreadCount()).toMatchObject({ unread: 5 });
    // Marking someone else's notification read does nothing.
    const theirs = await api1.notifications.list();
    expect(await api0.notifications.markRead({ ids: [theirs.items[0]!.id] })).toEqual({
      marked: 0,
    });
    expect(await api0.notifications.markRead({ ids: [feed.items[0]!.id] })).toEqual({ marked: 1 });
    expect(await api0.notifications.unreadCount()).toMatchObject({ unread: 4 });
    await api0.notifications.markRead({ all: true });
    expect(await api0.notifications.unreadCount()).toMatchObject({ unread: 0 });
    expect(
      (await api1.notifications.preferences()).find((p) => p.kind === "stop_loss"),
    ).toMatchObject({ inApp: true, email: false });

    const outbox = await t.db.select().from(notificationOutbox);
    expect(outbox.every((o) => o.status === "sent")).toBe(true);
    expect(outbox.find((o) => o.attempts === 2)).toBeTruthy();
    transport.close();
  });

  it("reads an id only once every transaction that could hold a lower one has settled", async () => {
    const t2 = await createTestDb();
    try {
      let now = new Date("2026-06-01T12:00:00Z");
      const derive = () =>
        deriveNotifications(t2.db, { now, settleMs: 5_000, email: false, appUrl: "http://x" });
      await derive(); // cursors at the present
      const w = await makeWorld(t2.db, { followers: 1 });
      void w;
      expect((await derive()).created).toBe(0); // seen, not yet settled
      now = new Date(now.getTime() + 5_000);
      expect((await derive()).created).toBe(1); // the copy_started event
      expect((await derive()).created).toBe(0);
    } finally {
      await t2.drop();
    }
  });
});
