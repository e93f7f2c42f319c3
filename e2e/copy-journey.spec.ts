import type { Browser, Page } from "@playwright/test";
import { AuthPage, expect, test, uniqueEmail } from "./fixtures";

/**
 * The follower's and the leader's journeys end to end, against the production build, the
 * worker and the demo world: copy, replicate, pause, skip. The leader trades crypto, which
 * trades around the clock, so the journey does not depend on the time of day.
 */
test.describe.configure({ mode: "serial" });

const follower = {
  name: "Flo Follower",
  email: uniqueEmail("flo"),
  password: "correct-horse-battery",
};
let copyUrl = "";

async function asLeader(browser: Browser): Promise<Page> {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await new AuthPage(page).signIn("crypto-swing@tandem.test");
  await expect(page).toHaveURL(/\/leaders/);
  await page.goto("/leader");
  await expect(page.getByRole("heading", { name: "Leader console" })).toBeVisible();
  return page;
}

async function leaderBuys(page: Page, symbol: string, quantity: string) {
  const ticket = page.getByRole("form", { name: "Trade ticket" });
  await ticket.getByLabel("Instrument").selectOption(symbol);
  await ticket.getByLabel("Buy").check();
  await ticket.getByLabel("Order type").selectOption("market");
  await ticket.getByLabel("Quantity").fill(quantity);
  await ticket.getByRole("button", { name: "Place buy order" }).click();
  // The ticket shows the broker's answer and how many followers the fill reached.
  await expect(ticket.getByTestId("broker-answer")).toContainText(
    new RegExp(`Buy ${quantity} ${symbol}: filled.*Copied to \\d+ follower`),
    { timeout: 20_000 },
  );
}

test("a new follower finds a leader and copies with $5,000 and a copy stop-loss", async ({
  page,
  auth,
}) => {
  await auth.signUp(follower.name, follower.email, follower.password);
  await expect(page).toHaveURL(/\/leaders/);
  await page.getByRole("link", { name: "Lena Kowalski" }).click();
  await expect(page.getByRole("heading", { name: /Lena Kowalski/ })).toBeVisible();
  await expect(page.getByRole("figure", { name: "Account value chart" })).toBeVisible();
  await page.getByRole("link", { name: "Copy Lena Kowalski" }).click();
  await expect(page.getByRole("heading", { name: "Copy Lena Kowalski" })).toBeVisible();

  // An amount above the cash available gets a clear refusal and changes nothing.
  const form = page.getByRole("form", { name: "Copy Lena Kowalski" });
  await form.getByLabel("Amount to copy with (USD)").fill("9000000");
  await form.getByLabel(/I have read the copy terms/).check();
  await form.getByRole("button", { name: "Review and start" }).click();
  await expect(form.getByRole("alert").first()).toContainText("available to allocate");
  await expect(form.getByTestId("amount-error")).toContainText(/You have \$[\d,]+\.\d\d available/);

  // Paper money can be added right here.
  await page.getByLabel("Add funds (USD, paper money)").fill("10000");
  await page.getByRole("button", { name: "Add funds" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Added." })).toBeVisible();

  await form.getByLabel("Amount to copy with (USD)").fill("5000");
  // The worked example is computed from this follower's own amount.
  await expect(page.getByTestId("worked-example")).toContainText(
    /When Lena Kowalski buys .* you buy/,
  );
  await form.getByLabel("Copy stop-loss (%)").fill("15");
  await expect(form.getByLabel("Max exposure per instrument (USD)")).toHaveValue("2500");
  // The stop-loss in money, then a review of what is agreed before anything is sent.
  await expect(form.getByTestId("stop-loss-money")).toContainText("$750.00 on $5,000.00");
  await form.getByRole("button", { name: "Review and start" }).click();
  await expect(form.getByTestId("copy-review")).toContainText("Copy Lena Kowalski with $5,000.00");
  await form.getByRole("button", { name: "Start copying" }).click();

  await expect(page).toHaveURL(/\/dashboard/);
  const row = page.getByTestId("copies-table").getByRole("row", { name: /Lena Kowalski/ });
  await expect(row).toBeVisible();
  await expect(row.getByTestId("copy-status")).toHaveText("Active");
  await expect(row).toContainText("$5,000.00");
  await row.getByRole("link", { name: "Lena Kowalski" }).click();
  await expect(page).toHaveURL(/\/copies\/[0-9a-f-]{36}$/);
  copyUrl = new URL(page.url()).pathname;
  await expect(page.getByRole("heading", { name: /Copy of Lena Kowalski/ })).toBeVisible();
});

test("another user cannot open that copy", async ({ page, auth }) => {
  expect(copyUrl).not.toBe("");
  await auth.signIn("bob@tandem.test");
  await expect(page).toHaveURL(/\/leaders/);
  const res = await page.goto(copyUrl);
  expect(res?.status()).toBe(404);
  await expect(page.getByText("not yours to see")).toBeVisible();
});

test("the leader buys through the trade ticket and the follower sees the replicated position", async ({
  page,
  auth,
  browser,
}) => {
  const leader = await asLeader(browser);
  await leaderBuys(leader, "ETH-USD", "2");

  await auth.signIn(follower.email, follower.password);
  await expect(page).toHaveURL(/\/leaders/);
  await page.goto(copyUrl);
  const position = page.getByTestId("position-ETH-USD");
  // Within seconds: the page polls; the worker replicates.
  await expect(position.getByTestId("position-qty")).toHaveText(/^\+[\d.,]+$/, { timeout: 20_000 });
  await expect(page.getByTestId("last-replicated")).not.toHaveText("no trades yet");
  await leader.context().close();
});

test("after a pause, a further leader buy shows as skipped with reason PAUSED", async ({
  page,
  auth,
  browser,
}) => {
  await auth.signIn(follower.email, follower.password);
  await expect(page).toHaveURL(/\/leaders/);
  await page.goto(copyUrl);
  await page.getByRole("button", { name: "Pause copying" }).click();
  await expect(page.getByTestId("copy-status")).toHaveText("Paused");

  const leader = await asLeader(browser);
  await leaderBuys(leader, "ETH-USD", "1");

  const flagged = page.getByTestId("flagged-table");
  await expect(flagged.getByTestId("decision-row").first()).toContainText("PAUSED", {
    timeout: 20_000,
  });
  await expect(flagged.getByTestId("decision-row").first()).toContainText("Skipped");
  await expect(flagged.getByTestId("decision-row").first()).toContainText(
    "You had paused this copy",
  );
  await leader.context().close();
});
