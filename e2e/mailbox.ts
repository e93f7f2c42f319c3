import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { expect } from "@playwright/test";

export type Mail = { to: string[]; subject: string; text: string; html: string };

const DIR = path.resolve(".data/e2e-mail");

/** Everything the e2e server's SMTP server has received (scripts/e2e-mailbox.ts). */
export function mailbox(): Mail[] {
  if (!existsSync(DIR)) return [];
  return readdirSync(DIR)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => JSON.parse(readFileSync(path.join(DIR, f), "utf8")) as Mail);
}

/** Waits for an e-mail to `to` whose subject matches, as delivered over SMTP by the worker. */
export async function waitForMail(to: string, subject: RegExp, timeout = 45_000): Promise<Mail> {
  let found: Mail | undefined;
  await expect
    .poll(
      () => {
        found = mailbox().find((m) => m.to.includes(to) && subject.test(m.subject));
        return Boolean(found);
      },
      { timeout, message: `an e-mail to ${to} about ${subject}` },
    )
    .toBe(true);
  return found!;
}
