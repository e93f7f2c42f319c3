import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import type { Page } from "@playwright/test";
import { send, signRequest, type Credentials } from "../examples/strategy-client";
import { AuthPage, DEMO_TOTP_SECRET, expect, freshCode, test } from "./fixtures";
import { withDb } from "./journey";

/**
 * A leader's scripted strategy (issue 12): the leader creates an API key in the console (a
 * fresh second factor first), the example client places an order through the signed API, and
 * the follower who copies that leader (Bob copies steady-etf in the demo world) sees the
 * copied order. A replayed signature and a stale timestamp are refused.
 */
test.describe.configure({ mode: "serial" });

const PORT = Number(process.env.E2E_PORT ?? 3100);
const BASE = `http://localhost:${PORT}`;
const run = promisify(execFile);
let creds: Credentials | null = null;

function watchConsole(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (m) => {
    // 403: the step-up refusal the console answers with its prompt; 401 at the credentials
    // callback: the password step of the two-step sign-in (see e2e/journey.ts).
    const passwordStep =
      /status of 401/.test(m.text()) &&
      new URL(m.location().url || "http://x/").pathname === "/api/auth/callback/credentials";
    if (m.type() === "error" && !/status of 403/.test(m.text()) && !passwordStep)
      errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(e.message));
  return errors;
}

/**
 * Makes the leader's sessions' last second-factor proof older than the step-up window, as if
 * the sign-in (which proved one) was ten minutes ago: the next high-risk action must ask again.
 */
async function ageSecondFactorProof(email: string) {
  await withDb(
    (sql) => sql`
      update session_factor_proofs p set proven_at = now() - interval '10 minutes'
        from sessions s join users u on u.id = s.user_id
       where p.session_id = s.id and u.email = ${email}`,
  );
}

test("a leader creates an API key in the console: step-up first, the secret shown once", async ({
  page,
}) => {
  const errors = watchConsole(page);
  await new AuthPage(page).signIn("steady-etf@tandem.test");
  await expect(page).toHaveURL(/\/leaders/);
  await ageSecondFactorProof("steady-etf@tandem.test");
  await page.goto("/leader");
  const section = page.getByRole("region", { name: "Strategy API keys" });
  await section.getByLabel("Key name").fill("journey bot");
  await section.getByRole("button", { name: "Create key" }).click();
  // Creating a key is a high-risk action: the sign-in's proof is too old, so the console asks
  // for a fresh code and then creates the key.
  const dialog = page.getByRole("dialog", { name: "Confirm it's you" });
  await expect(dialog).toBeVisible();
  await dialog
    .getByLabel("Code", { exact: true })
    .fill(await freshCode("steady-etf@tandem.test", DEMO_TOTP_SECRET));
  await dialog.getByRole("button", { name: "Confirm" }).click();
  await expect(dialog).toBeHidden();
  const keyId = (await section.getByTestId("new-key-id").textContent())!.trim();
  const secret = (await section.getByTestId("new-key-secret").textContent())!.trim();
  expect(keyId).toMatch(/^tk_/);
  expect(secret).toMatch(/^tks_/);
  creds = { baseUrl: BASE, keyId, secret };
  await section.getByRole("button", { name: "I have stored it" }).click();
  // Listed without its secret.
  await expect(section.getByRole("list", { name: "API keys" })).toContainText(keyId);
  await expect(section).not.toContainText(secret);
  expect(errors).toEqual([]);
});

test("the example client places an order through the signed API and Bob's copy follows", async ({
  page,
}) => {
  expect(creds).not.toBeNull();
  const env = {
    ...process.env,
    TANDEM_API_URL: creds!.baseUrl,
    TANDEM_KEY_ID: creds!.keyId,
    TANDEM_KEY_SECRET: creds!.secret,
  };
  const client = path.resolve("examples/strategy-client.ts");
  const { stdout } = await run("npx", ["tsx", client, "order", "buy", "ETH-USD", "5"], { env });
  const placed = JSON.parse(stdout) as { status: number; body: { id: string; status: string } };
  expect(placed.status).toBe(201);
  // The worker sends it and books the fill; the client reads it back.
  await expect
    .poll(
      async () => {
        const r = await run("npx", ["tsx", client, "order-status", placed.body.id], { env });
        return (JSON.parse(r.stdout) as { body: { status: string } }).body.status;
      },
      { timeout: 30_000, intervals: [1000] },
    )
    .toBe("filled");

  const [copy] = await withDb(
    (sql) => sql<{ id: string }[]>`
      select c.id from copy_relationships c
        join users u on u.id = c.follower_id join leaders l on l.id = c.leader_id
       where u.email = 'bob@tandem.test' and l.handle = 'steady-etf' and c.status <> 'stopped'`,
  );
  await new AuthPage(page).signIn("bob@tandem.test");
  await expect(page).toHaveURL(/\/leaders/);
  await page.goto(`/copies/${copy!.id}`);
  await page.getByText("Every copy decision and order").click();
  await expect(page.getByRole("row", { name: /Buy [\d.]+ ETH-USD \(copy\)/ }).first()).toBeVisible({
    timeout: 20_000,
  });
  await expect(page.getByTestId("position-ETH-USD").getByTestId("position-qty")).toHaveText(
    /^\+[\d.,]+$/,
    { timeout: 20_000 },
  );
});

test("a replayed signature and a stale timestamp are refused", async () => {
  expect(creds).not.toBeNull();
  const signed = signRequest(creds!, "GET", "/api/v1/account");
  expect((await send(signed)).status).toBe(200);
  const replay = await send(signed);
  expect(replay.status).toBe(409);
  expect(replay.body).toMatchObject({ error: { code: "REPLAYED", field: "Tandem-Nonce" } });
  const stale = await send(
    signRequest(creds!, "GET", "/api/v1/account", "", {
      timestamp: Math.floor(Date.now() / 1000) - 120,
    }),
  );
  expect(stale.status).toBe(401);
  expect(stale.body).toMatchObject({
    error: { code: "STALE_TIMESTAMP", field: "Tandem-Timestamp" },
  });
});

test.describe("phone 390 px", () => {
  test.use({ viewport: { width: 390, height: 844 } });
  test("the API keys section has no sideways scroll", async ({ page }) => {
    const errors = watchConsole(page);
    await new AuthPage(page).signIn("steady-etf@tandem.test");
    await expect(page).toHaveURL(/\/leaders/);
    await page.goto("/leader");
    const section = page.getByRole("region", { name: "Strategy API keys" });
    await section.scrollIntoViewIfNeeded();
    await expect(section.getByRole("list", { name: "API keys" })).toBeVisible();
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - window.innerWidth,
    );
    expect(overflow, "the page scrolls sideways").toBeLessThanOrEqual(1);
    const box = await section.boundingBox();
    expect(box!.x + box!.width).toBeLessThanOrEqual(391);
    expect(errors).toEqual([]);
  });
});
