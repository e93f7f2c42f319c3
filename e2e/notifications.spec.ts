import { AuthPage, expect, test, uniqueEmail } from "./fixtures";
import { call, noSideways, startCopyByApi, watchConsole } from "./journey";
import { waitForMail } from "./mailbox";

/**
 * Notifications end to end, on a desktop and on a 390 px phone: a new follower asks for
 * e-mail about copies they start, starts one, sees the toast on the open page and the item in
 * the feed, and the e-mail arrives at the real SMTP server the e2e server runs — sent by the
 * worker from its outbox, with a link back to the copy.
 */
const viewports = [
  { name: "desktop", viewport: { width: 1280, height: 800 } },
  { name: "phone 390 px", viewport: { width: 390, height: 844 } },
];

for (const vp of viewports) {
  test.describe(vp.name, () => {
    test.use({ viewport: vp.viewport });

    test("a copy started: a toast, the feed, and an e-mail over SMTP", async ({ page }) => {
      test.setTimeout(120_000);
      const errors = watchConsole(page);
      const email = uniqueEmail("mail");
      await new AuthPage(page).signUp("Mia Mail", email, "correct-horse-battery");
      await expect(page).toHaveURL(/\/leaders/);

      // Preferences: e-mail about copies started is off by default; turn it on.
      await page.goto("/notifications");
      const byMail = page.getByLabel("Copy started by e-mail");
      await expect(byMail).not.toBeChecked();
      // The box follows the saved preference: it turns on once the server has it.
      await byMail.click();
      await expect(byMail).toBeChecked();
      await noSideways(page);

      // A live page is open when the copy starts.
      await page.goto("/dashboard");
      const { id, leader } = await startCopyByApi(page, "crypto-swing", {
        amount: "2000",
        factor: "0.1",
        maxSymbolExposure: "2000",
      });
      const title = `You are now copying ${leader.displayName}`;
      // The worker derives the notification; the page's bell shows it as a toast.
      await expect(page.getByText(title)).toBeVisible({ timeout: 45_000 });
      await expect(page.getByTestId("unread-count")).toHaveText(/^[1-9]\d*$/);
      await noSideways(page);

      const mail = await waitForMail(email, new RegExp(title));
      expect(mail.text).toContain(`Your copy of ${leader.displayName} started with`);
      expect(mail.text).toContain(`/copies/${id}`);

      await page.goto("/notifications");
      const item = page.getByTestId("feed").getByRole("listitem").filter({ hasText: title });
      await expect(item).toBeVisible();
      await expect(item.getByRole("link", { name: "Open" })).toHaveAttribute(
        "href",
        `/copies/${id}`,
      );
      await noSideways(page);

      await call(page, "copies.stop", { id, closePositions: true });
      expect(errors).toEqual([]);
    });
  });
}
