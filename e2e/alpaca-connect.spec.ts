import { expect, test, uniqueEmail } from "./fixtures";

/**
 * A follower connects an Alpaca paper account — against the local Alpaca-compatible gateway
 * the e2e server starts (TANDEM_BROKER=alpaca-local, ADR 0022) — and starts a copy into it.
 * The key comes from the gateway's own `POST /local/accounts`, as a person would copy one
 * from Alpaca's dashboard.
 */
test.describe.configure({ mode: "serial" });

const gateway = `http://127.0.0.1:${process.env.E2E_GATEWAY_PORT ?? "54341"}`;

async function alpacaKey(opts: { tradingBlocked?: boolean } = {}) {
  const r = await fetch(`${gateway}/local/accounts`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ cash: "30000", ...opts }),
  });
  expect(r.status).toBe(201);
  return (await r.json()) as { key_id: string; secret_key: string };
}

test("a follower connects an Alpaca paper account and copies into it", async ({ page, auth }) => {
  await auth.signUp("Alpa Follower", uniqueEmail("alpa"), "correct-horse-battery");
  await expect(page).toHaveURL(/\/leaders/);
  await page.goto("/accounts");
  await expect(page.getByRole("heading", { level: 1, name: "Broker accounts" })).toBeVisible();
  const form = page.getByRole("form", { name: "Connect an Alpaca account" });

  // A wrong secret is refused in words, and nothing is saved.
  const key = await alpacaKey();
  await form.getByLabel(/Paper/).check();
  await form.getByLabel("API key ID").fill(key.key_id);
  await form.getByLabel("Secret key").fill("not-the-secret-at-all-0000");
  await form.getByRole("button", { name: "Connect" }).click();
  await expect(page.getByRole("main").getByRole("alert")).toContainText("did not accept this key");
  await expect(page.getByTestId("account-alpaca")).toHaveCount(0);

  // An account whose trading is blocked is refused with Alpaca's reason.
  const blocked = await alpacaKey({ tradingBlocked: true });
  await form.getByLabel("API key ID").fill(blocked.key_id);
  await form.getByLabel("Secret key").fill(blocked.secret_key);
  await form.getByRole("button", { name: "Connect" }).click();
  await expect(page.getByRole("main").getByRole("alert")).toContainText("trading is blocked");

  await form.getByLabel("API key ID").fill(key.key_id);
  await form.getByLabel("Secret key").fill(key.secret_key);
  await form.getByLabel("Name (optional)").fill("My Alpaca");
  await form.getByRole("button", { name: "Connect" }).click();
  await expect(page.getByRole("status")).toContainText("Connected");
  const row = page.getByTestId("account-alpaca");
  await expect(row).toContainText("My Alpaca");
  await expect(row).toContainText("paper");
  await expect(row).toContainText("$30,000.00");
  await expect(row.getByTestId("sync-state")).toHaveText("In sync");
  // The secret is never shown again, not even masked; the key id only as PK…1234.
  await expect(page.locator("body")).not.toContainText(key.secret_key);
  await expect(row).toContainText(`PK…${key.key_id.slice(-4)}`);

  // Copy into the Alpaca account.
  await page.goto("/leaders");
  await page.getByRole("link", { name: "Lena Kowalski" }).click();
  await page.getByRole("link", { name: "Copy Lena Kowalski" }).click();
  const copy = page.getByRole("form", { name: "Copy Lena Kowalski" });
  await copy
    .getByLabel("Copy into account")
    .selectOption({ label: "My Alpaca — Alpaca paper ($30,000.00)" });
  await copy.getByLabel("Amount to copy with (USD)").fill("5000");
  await copy.getByLabel(/I have read the copy terms/).check();
  // The copy flow reviews what is agreed before anything is sent.
  await copy.getByRole("button", { name: "Review and start" }).click();
  await copy.getByRole("button", { name: "Start copying" }).click();
  await expect(page).toHaveURL(/\/dashboard/);
  await expect(
    page.getByTestId("copies-table").getByRole("row", { name: /Lena Kowalski/ }),
  ).toBeVisible();
  const summary = page.getByTestId("accounts-summary");
  await expect(summary).toContainText("My Alpaca: Alpaca, paper, In sync");

  // A copy trades in it: disconnecting is refused, with what to do.
  await page.goto("/accounts");
  await page.getByTestId("account-alpaca").getByRole("button", { name: "Disconnect" }).click();
  await expect(page.getByRole("main").getByRole("alert")).toContainText("Stop it first");
});
