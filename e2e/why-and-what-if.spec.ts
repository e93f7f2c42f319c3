import type { Browser, Page } from "@playwright/test";
import { AuthPage, expect, test, uniqueEmail } from "./fixtures";
import { call, noSideways, startCopyByApi, watchConsole } from "./journey";

/**
 * Issue 10's "why my numbers differ" and "what if I had copied?": the waterfall on a copy
 * page adds up (read from the page: the parts' money and points against the difference
 * shown), and a what-if run from a leader's profile goes through its progress bar to a
 * result — at 390 px, without sideways scroll or console errors.
 */
const PASSWORD = "correct-horse-battery";

/** "+$1,234.56" / "−$0.10" → cents; "−0.30 pp" → hundredths of a point. */
function hundredths(text: string): number {
  const t = text.replace("\u2212", "-").replace(/[$,+\s]|pp/g, "");
  expect(t).toMatch(/^-?\d+\.\d\d$/);
  return Number(t.replace(".", ""));
}

async function leaderBuys(browser: Browser, symbol: string, qty: string) {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await new AuthPage(page).signIn("crypto-swing@tandem.test");
  await expect(page).toHaveURL(/\/leaders/);
  await call(page, "leaderConsole.placeOrder", { symbol, side: "buy", type: "market", qty });
  await ctx.close();
}

async function sumsMatch(page: Page) {
  // Read in one go: the panel refreshes by polling, so the numbers must come from one render.
  const read = await page.evaluate(() => {
    const all = (id: string) =>
      [...document.querySelectorAll(`[data-testid="${id}"]`)].map((e) => e.textContent ?? "");
    return {
      money: all("why-part-money"),
      points: all("why-part-points"),
      total: all("why-total-money")[0] ?? "",
      totalPoints: all("why-total-points")[0] ?? "",
    };
  });
  expect(read.money.length).toBeGreaterThan(0);
  expect(read.money.reduce((s, m) => s + hundredths(m), 0)).toBe(hundredths(read.total));
  expect(read.points.reduce((s, m) => s + hundredths(m), 0)).toBe(hundredths(read.totalPoints));
}

test.describe("phone 390 px", () => {
  test.use({ viewport: { width: 390, height: 844 } });

  test("the waterfall on a copy page adds up, and a what-if runs to a result", async ({
    page,
    auth,
    browser,
  }) => {
    test.setTimeout(180_000);
    const errors = watchConsole(page);
    await auth.signUp("Wanda Why", uniqueEmail("whydiff"), PASSWORD);
    await expect(page).toHaveURL(/\/leaders/);

    const { id } = await startCopyByApi(page, "crypto-swing", {
      amount: "5000",
      factor: "0.1",
      maxSymbolExposure: "10000",
    });
    await leaderBuys(browser, "ETH-USD", "1");

    await page.goto(`/copies/${id}`);
    await expect(page.getByRole("heading", { name: "You and the leader" })).toBeVisible();
    // Once the copy holds its part of the leader's ETH, the waterfall has parts to show.
    await expect(page.getByTestId("position-ETH-USD").getByTestId("position-qty")).toHaveText(
      /^\+[\d.]+$/,
      { timeout: 30_000 },
    );
    await expect(page.getByTestId("why-part").first()).toBeVisible({ timeout: 20_000 });
    await sumsMatch(page);
    await noSideways(page);
    await call(page, "copies.stop", { id, closePositions: true });

    // What if I had copied? From the profile, through the progress bar, to a result. The
    // steady ETF leader trades least often, which keeps the replay short.
    await page.goto("/leaders/steady-etf");
    await page.getByRole("link", { name: "What if I had copied?" }).click();
    await expect(page).toHaveURL(/\/leaders\/steady-etf\/what-if$/);
    await page.getByLabel("Amount", { exact: true }).fill("abc");
    await page.getByRole("button", { name: "Run the what-if" }).click();
    await expect(
      page.getByRole("alert").filter({ hasText: "Amount must be a number" }),
    ).toBeVisible();
    await page.getByLabel("Amount", { exact: true }).fill("10000");
    await page.getByRole("button", { name: "Run the what-if" }).click();
    await expect(page.getByRole("progressbar")).toBeVisible();
    await expect(
      page.getByRole("heading", { name: /If you had copied with \$10,000\.00/ }),
    ).toBeVisible({
      timeout: 120_000,
    });
    await expect(page.getByRole("progressbar")).toHaveCount(0);
    await sumsMatch(page);
    await expect(page.getByRole("link", { name: "Copy with these settings" })).toHaveAttribute(
      "href",
      /\/leaders\/steady-etf\/copy\?amount=10000&mode=proportional/,
    );
    await noSideways(page);
    expect(errors).toEqual([]);
  });
});
