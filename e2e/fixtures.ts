import { test as base, expect, type Page } from "@playwright/test";
import { generate } from "otplib";

export const DEMO_PASSWORD = "tandem-demo-2026";
/** The demo world's authenticator key (server/auth/totp.ts DEMO_TOTP_SECRET). */
export const DEMO_TOTP_SECRET = "KRAW4RCFJVHWI5DPORYGK3TEMVWW6MZS";
const lastStep = new Map<string, number>();
/**
 * A code for a 30-second step this user has not used yet: the server refuses a code twice,
 * so a second sign-in within the same step waits for the next one.
 */
export async function freshCode(email: string, secret: string): Promise<string> {
  let step = Math.floor(Date.now() / 30_000);
  const last = lastStep.get(email);
  if (last !== undefined && step <= last) {
    await new Promise((r) => setTimeout(r, (last + 1) * 30_000 - Date.now() + 200));
    step = last + 1;
  }
  lastStep.set(email, step);
  return generate({ secret, epoch: step * 30 });
}

export class AuthPage {
  constructor(private readonly page: Page) {}

  async signIn(email: string, password = DEMO_PASSWORD) {
    await this.page.goto("/signin");
    await this.page.getByLabel("E-mail").fill(email);
    await this.page.getByLabel("Password").fill(password);
    await this.page.getByRole("button", { name: "Sign in" }).click();
    if (password === DEMO_PASSWORD && email.endsWith("@tandem.test") && (await this.asksForCode()))
      await this.secondFactor(email, DEMO_TOTP_SECRET);
  }

  /** Whether the sign-in asks for a second factor (demo staff and leaders) or is done. */
  private async asksForCode(): Promise<boolean> {
    const opts = { timeout: 20_000 };
    return Promise.race([
      this.page
        .getByLabel("Code", { exact: true })
        .waitFor(opts)
        .then(
          () => true,
          () => false,
        ),
      this.page
        .waitForURL((u) => !u.pathname.startsWith("/signin"), opts)
        .then(
          () => false,
          () => false,
        ),
    ]);
  }

  /** The second step of a sign-in: a fresh authenticator code (never one already spent). */
  async secondFactor(email: string, secret: string) {
    const code = this.page.getByLabel("Code", { exact: true });
    const heading = this.page.getByRole("heading", { name: "Confirm it's you" });
    // A retried test runs in a new worker that does not know which step its first attempt
    // spent; a refused code is then the spent one, so the next step's code is tried once.
    for (let attempt = 0; ; attempt++) {
      await code.fill(await freshCode(email, secret));
      await this.page.getByRole("button", { name: "Continue" }).click();
      try {
        await expect(heading).toBeHidden({ timeout: attempt === 0 ? 8_000 : 15_000 });
        return;
      } catch (err) {
        if (attempt > 0) throw err;
        lastStep.set(email, Math.floor(Date.now() / 30_000));
      }
    }
  }

  async signUp(name: string, email: string, password: string) {
    await this.page.goto("/signup");
    await this.page.getByLabel("Name").fill(name);
    await this.page.getByLabel("E-mail").fill(email);
    await this.page.getByLabel(/^Password/).fill(password);
    await this.page.getByRole("button", { name: "Create account" }).click();
  }
}

/**
 * After `page.goto`, waits until React has moved every streamed part into place. A part that
 * arrives after the loading screen comes as a hidden `<div id="S:n">` that a script then
 * moves; for that moment the page's content can be in the document twice, and a test id
 * or label matches two elements (strict-mode failures seen in CI on /dashboard and
 * /leaders; counted once right after goto: 3 of 40 page loads had a part pending, all on
 * those two pages). Never fails a test by itself: after 5 s it goes on, and the test's own
 * checks decide.
 */
async function settled(page: Page): Promise<void> {
  await page
    .waitForFunction(() => !document.querySelector('div[hidden][id^="S:"]'), undefined, {
      timeout: 5_000,
    })
    .catch(() => {});
}

export const test = base.extend<{ auth: AuthPage }>({
  page: async ({ page }, use) => {
    const goto = page.goto.bind(page);
    page.goto = async (url, opts) => {
      const res = await goto(url, opts);
      await settled(page);
      return res;
    };
    await use(page);
  },
  auth: async ({ page }, use) => {
    await use(new AuthPage(page));
  },
});
export { expect };

export function uniqueEmail(prefix: string) {
  return `${prefix}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6)}@example.test`;
}
