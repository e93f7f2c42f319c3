import nodemailer, { type Transporter } from "nodemailer";
import type { Db } from "../../db/client";
import type { Logger } from "../logger";
import { deliverOutbox } from "./deliver";
import { deriveNotifications } from "./derive";

/**
 * The worker's notification loop, on its own timer beside the engine loop so that a slow
 * SMTP server never delays a trade: derive new notifications, then deliver due e-mails.
 */
export function startNotifier(opts: {
  db: Db;
  log: Pick<Logger, "info" | "warn" | "error">;
  smtpUrl?: string;
  from: string;
  appUrl: string;
  intervalMs?: number;
  settleMs?: number;
  batchWindowMs?: number;
}): { stop(): Promise<void>; tick(): Promise<void> } {
  const transport: Transporter | null = opts.smtpUrl
    ? nodemailer.createTransport(opts.smtpUrl)
    : null;
  if (!transport) opts.log.info("SMTP_URL is not set: notifications are in-app only");
  let running = true;
  let current: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | null = null;

  const tick = async () => {
    try {
      const d = await deriveNotifications(opts.db, {
        email: transport !== null,
        appUrl: opts.appUrl,
        settleMs: opts.settleMs,
        batchWindowMs: opts.batchWindowMs,
      });
      if (d.created || d.merged) opts.log.info(d, "notifications derived");
      if (transport) {
        const r = await deliverOutbox(opts.db, transport, { from: opts.from });
        if (r.sent || r.retried || r.failed) opts.log.info(r, "notification e-mails");
      }
    } catch (err) {
      opts.log.error({ err }, "notification step failed; retrying");
    }
  };
  const loop = () => {
    if (!running) return;
    current = tick().finally(() => {
      if (running) timer = setTimeout(loop, opts.intervalMs ?? 2000);
    });
  };
  loop();
  return {
    tick,
    async stop() {
      running = false;
      if (timer) clearTimeout(timer);
      await current;
      transport?.close();
    },
  };
}
