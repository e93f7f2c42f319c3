import { rmSync } from "node:fs";
import path from "node:path";
import { startMailbox } from "./e2e-mailbox";
import { launch } from "./launch";

// Every end-to-end run starts from a fresh embedded database with the demo world, unless
// DATABASE_URL points at a server of your own.
const dir = path.resolve(".data/e2e");
if (!process.env.DATABASE_URL) rmSync(dir, { recursive: true, force: true });
process.env.TANDEM_DATA_DIR = dir;
// Alpaca journeys connect accounts at a local Alpaca-compatible gateway (ADR 0022).
process.env.TANDEM_BROKER ??= "alpaca-local";
process.env.ALPACA_GATEWAY_PORT ??= process.env.E2E_GATEWAY_PORT ?? "54341";
// Journeys sign up many people from one address; the per-address sign-up limit (10 an hour)
// is tested on its own in server/auth/rate-limits.test.ts.
process.env.TANDEM_SIGNUPS_PER_HOUR ??= "1000";
// Notification e-mails go over SMTP to a real server in this process; journeys read what
// arrived from .data/e2e-mail (e2e/mailbox.ts).
const smtpPort = Number(process.env.E2E_SMTP_PORT ?? 54343);
await startMailbox(smtpPort, path.resolve(".data/e2e-mail"));
process.env.SMTP_URL ??= `smtp://127.0.0.1:${smtpPort}`;
process.env.MAIL_FROM ??= "Tandem <notifications@tandem.test>";
await launch("start");
