import { expect, test } from "./fixtures";

test("discovery sorts and filters in the URL and explains the ranking", async ({ page }) => {
  await page.goto("/leaders?sort=max_drawdown&asset=crypto");
  await expect(page.getByTestId("leaders-table").getByRole("row")).toHaveCount(2);
  await expect(page.getByRole("row", { name: /Lena Kowalski/ })).toBeVisible();
  await page.getByText("How this ranking works").click();
  await expect(page.getByText(/time-weighted/)).toBeVisible();
  await page.goto("/leaders?q=zzzz-nobody");
  await expect(page.getByRole("status")).toContainText("No leaders match");
});

test("a too-new leader is marked and cannot be copied", async ({ page }) => {
  await page.goto("/leaders");
  await expect(page.getByRole("row", { name: /Priya Natarajan/ })).toContainText("Too new to copy");
  await page.goto("/leaders/new-futures");
  await expect(page.getByText(/Copying opens once this leader has 30 days/)).toBeVisible();
  await expect(page.getByRole("link", { name: /^Copy / })).toHaveCount(0);
});

test("the leader profile explains how each number is computed", async ({ page }) => {
  await page.goto("/leaders/tech-momentum");
  await expect(page.getByRole("heading", { name: "Returns by period" })).toBeVisible();
  await expect(page.getByRole("figure", { name: "Drawdown chart" })).toBeVisible();
  await page.getByText("How each number is computed").click();
  await expect(page.getByText(/sample standard deviation of daily returns/)).toBeVisible();
  expect((await page.goto("/leaders/no-such-leader"))?.status()).toBe(404);
});

test("the dashboard needs a sign-in", async ({ page }) => {
  await page.goto("/dashboard");
  await expect(page).toHaveURL(/\/signin\?next=%2Fdashboard|\/signin\?next=\/dashboard/);
});
