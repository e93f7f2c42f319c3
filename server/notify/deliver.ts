import { createHash } from "node:crypto";
import { sql } from "drizzle-orm";
import type { Transporter } from "nodemailer";
import type { Db } from "../../db/client";

/**
 * Sends due outbox e-mails. A row is claimed (FOR UPDATE SKIP LOCKED, then a claim that
 * expires) so any number of workers deliver each e-mail once; a worker that dies mid-send
 * leaves a claim that expires and the e-mail is retried with the same Message-ID, so the
 * receiving side can drop the duplicate (ADR 0017). Temporary failures retry with backoff;
 * a permanent refusal (SMTP 5xx) or the last attempt marks the row failed.
 */
export type DeliverOptions = {
  from: string;
  now?: () => Date;
  batch?: number;
  maxAttempts?: number;
  claimMs?: number;
  /** Delay before retry n (1-based). */
  backoffMs?: (attempt: number) => number;
};

export const defaultBackoff = (attempt: number) => Math.min(3_600_000, 30_000 * 2 ** (attempt - 1));

export async function deliverOutbox(
  db: Db,
  transport: Pick<Transporter, "sendMail">,
  opts: DeliverOptions,
): Promise<{ sent: number; retried: number; failed: number }> {
  const now = opts.now ?? (() => new Date());
  const maxAttempts = opts.maxAttempts ?? 8;
  const claimUntil = new Date(now().getTime() + (opts.claimMs ?? 120_000));
  const claimed = await db.execute<{
    id: string;
    notification_id: string;
    to_address: string;
    subject: string;
    body: string;
    attempts: number;
  }>(sql`
    update notification_outbox o set claimed_until = ${claimUntil.toISOString()}::timestamptz,
           attempts = o.attempts + 1
     where o.id in (
       select id from notification_outbox
        where status = 'pending' and next_attempt_at <= ${now().toISOString()}::timestamptz
          and (claimed_until is null or claimed_until < ${now().toISOString()}::timestamptz)
        order by next_attempt_at, id
        limit ${opts.batch ?? 50}
        for update skip locked)
    returning o.id, o.notification_id, o.to_address, o.subject, o.body, o.attempts`);
  let sent = 0;
  let retried = 0;
  let failed = 0;
  for (const m of claimed) {
    const messageId = `<notification-${m.notification_id}.${createHash("sha256").update(m.id).digest("hex").slice(0, 12)}@tandem>`;
    try {
      const info = await transport.sendMail({
        from: opts.from,
        to: m.to_address,
        subject: m.subject,
        text: m.body,
        messageId,
        headers: { "X-Tandem-Notification": String(m.notification_id) },
      });
      await db.execute(sql`
        update notification_outbox set status = 'sent', sent_at = ${now().toISOString()}::timestamptz,
               message_id = ${String(info.messageId ?? messageId)}, claimed_until = null, last_error = null
         where id = ${m.id}`);
      sent += 1;
    } catch (err) {
      const e = err as { responseCode?: number; code?: string; message?: string };
      const permanent = typeof e.responseCode === "number" && e.responseCode >= 500;
      const last = permanent || m.attempts >= maxAttempts;
      // Kept for staff; never shown to the recipient or in a response.
      const reason = `${e.responseCode ?? e.code ?? "error"}: ${String(e.message ?? err).slice(0, 300)}`;
      const next = new Date(now().getTime() + (opts.backoffMs ?? defaultBackoff)(m.attempts));
      await db.execute(sql`
        update notification_outbox
           set status = ${last ? "failed" : "pending"}, last_error = ${reason}, claimed_until = null,
               next_attempt_at = ${next.toISOString()}::timestamptz
         where id = ${m.id}`);
      if (last) failed += 1;
      else retried += 1;
    }
  }
  return { sent, retried, failed };
}
