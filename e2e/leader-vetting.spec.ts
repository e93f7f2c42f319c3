import { generate } from "otplib";
import { AuthPage, expect, test, uniqueEmail } from "./fixtures";
import { noSideways, watchConsole } from "./journey";

/**
 * Issue 12, "Becoming a leader" and "Strong sign-in": a follower applies, an admin approves
 * with a reason, the new leader must set up a second factor before the console opens, then it
 * opens. On a desktop and on a 390 px phone, with no sideways scroll and no console errors.
 */
for (const vp of [
  { name: "desktop", viewport: { width: 1280, height: 900 } },
  { name: "phone", viewport: { width: 390, height: 844 } },
]) {
  test(`a follower applies, an admin approves, the new leader enrols a second factor (${vp.name})`, async ({
    browser,
  }) => {
    test.setTimeout(120_000);
    const handle = `vet-${vp.name}-${Date.now().toString(36)}`;
    const email = uniqueEmail("applicant");

    // The follower applies.
    const fctx = await browser.newContext({ viewport: vp.viewport });
    const fpage = await fctx.newPage();
    const errors = watchConsole(fpage);
    const auth = new AuthPage(fpage);
    await auth.signUp("Vera Vetted", email, "correct-horse-battery");
    await expect(fpage).toHaveURL(/\/leaders/);
    await fpage.goto("/apply");
    await expect(fpage.getByRole("heading", { name: "Become a leader" })).toBeVisible();
    await noSideways(fpage);
    await fpage.getByLabel("Display name").fill("Vera Vetted");
    await fpage.getByLabel(/^Handle/).fill(handle);
    await fpage
      .getByLabel(/^Strategy/)
      .fill("Trend following on large US tech, a few positions at a time, stops at 5%.");
    await fpage.getByLabel(/^Instruments/).fill("AAPL, MSFT");
    await fpage.getByRole("button", { name: "Send application" }).click();
    await expect(fpage.getByRole("status")).toContainText("waiting for support or an admin");

    // An admin approves it, with a reason, after seeing the applicant's history.
    const actx = await browser.newContext({ viewport: vp.viewport });
    const apage = await actx.newPage();
    const adminErrors = watchConsole(apage);
    await new AuthPage(apage).signIn("admin@tandem.test");
    await expect(apage).not.toHaveURL(/signin/);
    await apage.goto("/admin/applications");
    await apage.getByRole("button", { name: `Review @${handle}` }).click();
    await expect(apage.getByTestId("applicant-history")).toContainText(
      "leader_application.submitted",
    );
    await noSideways(apage);
    await apage.getByLabel(/^Reason/).fill("Clear strategy and a paper account to trade.");
    await apage.getByRole("button", { name: "Approve" }).click();
    await expect(apage.getByRole("button", { name: `Review @${handle}` })).toBeHidden();

    // The new leader's console stays closed until a second factor is set up.
    await fpage.goto("/leader");
    await expect(fpage).toHaveURL(/\/security\?next=%2Fleader|\/security\?next=\/leader/);
    await expect(fpage.getByTestId("mfa-required")).toBeVisible();
    await noSideways(fpage);
    await fpage.getByRole("button", { name: "Set up an authenticator app" }).click();
    const secret = (await fpage.getByTestId("totp-secret").textContent())!.trim();
    await fpage.getByLabel("Code from the app").fill(await generate({ secret }));
    await fpage.getByRole("button", { name: "Confirm" }).click();
    await expect(fpage.getByTestId("recovery-codes").getByRole("listitem")).toHaveCount(10);
    await noSideways(fpage);
    await fpage.getByRole("button", { name: "Continue" }).click();
    await expect(fpage.getByRole("heading", { name: "Leader console" })).toBeVisible();
    await noSideways(fpage);

    expect(errors).toEqual([]);
    expect(adminErrors).toEqual([]);
    await fctx.close();
    await actx.close();
  });
}
