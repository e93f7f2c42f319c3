import { AuthPage, expect, test } from "./fixtures";
import { call, noSideways, watchConsole } from "./journey";

/**
 * A charged performance fee on the statement (issue 10). The demo world's Dana copies
 * fx-carry since last month; that month closed with a gain and was settled by the real fee
 * code (server/demo/fee-copy.ts). Desktop and a 390 px phone: the statement shows the
 * performance fee with its base and rate and the high-water mark before and after, the CSV
 * downloads with the same figures, and nothing scrolls sideways.
 */
for (const size of [
  { name: "desktop", width: 1280, height: 900 },
  { name: "phone", width: 390, height: 844 },
]) {
  test(`statement with a charged performance fee (${size.name})`, async ({ page }) => {
    await page.setViewportSize({ width: size.width, height: size.height });
    const errors = watchConsole(page);
    await new AuthPage(page).signIn("dana@tandem.test");
    await expect(page).toHaveURL(/\/(leaders|dashboard)/);
    const copies = await call<Array<{ id: string }>>(page, "copies.mine", undefined, "query");
    const id = copies[0]!.id;
    await page.goto(`/copies/${id}/statement`);
    await expect(page.getByRole("heading", { name: /Statement: copying/ })).toBeVisible();
    const now = new Date();
    const prev = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
    const label = `${prev.getUTCFullYear()}-${String(prev.getUTCMonth() + 1).padStart(2, "0")}`;
    const month = page.getByRole("article", { name: `Period ${label}` });
    await expect(month).toContainText("settled");
    await expect(month).toContainText("Performance fee");
    await expect(month).toContainText(/20 % of \$[\d,]+\.\d\d above the high-water mark/);
    await expect(month).toContainText("High-water mark after");
    await expect(page.getByText("do not add up")).toHaveCount(0);
    await noSideways(page);

    const csv = await page.request.get(`/api/statements/${id}`);
    expect(csv.status()).toBe(200);
    expect(csv.headers()["content-type"]).toContain("text/csv");
    const lines = (await csv.text()).trim().split("\r\n");
    const head = lines[0]!.split(",");
    const row = lines.find((l) => l.startsWith(`${label},`))!.split(",");
    const performance = Number(row[head.indexOf("performance_fee")]);
    expect(performance).toBeGreaterThan(0);
    expect(row[head.indexOf("performance_fee_pct")]).toBe("20");
    expect(errors).toEqual([]);
  });
}

test("another follower's statement is not found, and its CSV neither", async ({ page }) => {
  await new AuthPage(page).signIn("dana@tandem.test");
  await expect(page).toHaveURL(/\/(leaders|dashboard)/);
  const [mine] = await call<Array<{ id: string }>>(page, "copies.mine", undefined, "query");
  await page.context().clearCookies();
  await new AuthPage(page).signIn("bob@tandem.test");
  await expect(page).toHaveURL(/\/(leaders|dashboard)/);
  expect((await page.goto(`/copies/${mine!.id}/statement`))!.status()).toBe(404);
  expect((await page.request.get(`/api/statements/${mine!.id}`)).status()).toBe(404);
});
