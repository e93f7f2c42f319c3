import { expect, test } from "./fixtures";

test("the leaders list is usable on a phone", async ({ page }) => {
  await page.goto("/leaders");
  await expect(page.getByRole("heading", { name: "Leaders" })).toBeVisible();
  await expect(page.getByTestId("leaders-table")).toBeVisible();
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - window.innerWidth,
  );
  expect(overflow).toBeLessThanOrEqual(1);
});
