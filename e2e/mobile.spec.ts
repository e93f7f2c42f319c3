import { expect, test } from "./fixtures";

async function noSideways(page: import("@playwright/test").Page) {
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - window.innerWidth,
  );
  expect(overflow).toBeLessThanOrEqual(1);
}

test("the leaders list is usable on a phone", async ({ page }) => {
  await page.goto("/leaders");
  await expect(page.getByRole("heading", { name: "Leaders" })).toBeVisible();
  // The visible one: while the streamed page replaces the loading screen a hidden copy of the
  // table can be in the document for a moment (a strict-mode failure seen once in CI).
  await expect(page.getByTestId("leaders-table").filter({ visible: true })).toBeVisible();
  await noSideways(page);
});

test("a leader profile fits a phone", async ({ page }) => {
  await page.goto("/leaders/steady-etf");
  await expect(page.getByRole("heading", { name: "Returns by period" })).toBeVisible();
  await noSideways(page);
});
