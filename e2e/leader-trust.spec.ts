import { AuthPage, expect, test } from "./fixtures";
import { noSideways, watchConsole } from "./journey";

/**
 * Issue 12, "each rule in words": the profile shows whether the leader's history reconciles
 * with the broker (and why not), and the rules for verified, flagged and the safety breakers;
 * the copy form offers the follower's choice for a flagged leader and the agreement carries
 * the same words. On a desktop and on a 390 px phone.
 */
for (const size of [
  { name: "desktop", width: 1280, height: 800 },
  { name: "phone", width: 390, height: 844 },
]) {
  test(`trust rules on the profile and in the agreement (${size.name})`, async ({ page }) => {
    await page.setViewportSize({ width: size.width, height: size.height });
    const errors = watchConsole(page);
    await page.goto("/leaders/steady-etf");
    // The demo history is generated, not broker fills: the page must say so, not "Verified".
    await expect(page.getByTestId("verified-badge")).toHaveText("Not verified");
    await expect(page.getByTestId("unverified-reasons")).toContainText(
      /not reported by the broker|Not checked against the broker yet/,
    );
    await page.getByText("Verified, flagged and safety breakers: the rules").click();
    const rules = page.getByTestId("leader-rules");
    await expect(rules).toContainText("at least 5× the leader's median position");
    await expect(rules).toContainText("Tell me and pause new buying");
    await expect(rules).toContainText("more than 10 % within 1 min");
    await noSideways(page);

    await new AuthPage(page).signIn("carol@tandem.test");
    await expect(page).not.toHaveURL(/\/signin/);
    await page.goto("/leaders/steady-etf/copy");
    const choice = page.getByRole("radiogroup", { name: "If the leader changes strategy" });
    await expect(choice.getByRole("radio")).toHaveCount(2);
    await choice.getByLabel("Tell me and pause new buying").check();
    await expect(page.getByTestId("copy-terms")).toContainText(
      "Verified leaders, strategy changes and safety breakers",
    );
    await noSideways(page);
    expect(errors).toEqual([]);
  });
}
