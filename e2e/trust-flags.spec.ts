import { DEMO_TOTP_SECRET, expect, freshCode, test, uniqueEmail } from "./fixtures";
import { noSideways, watchConsole, withDb } from "./journey";

/**
 * Issue 12 on a 390 px phone: an admin reads an open strategy-change flag (what changed, with
 * figures, and the followers it touches) on the console's Leader flags page and clears it with
 * a reason, answering "Confirm it's you" with an authenticator code; and an applicant
 * withdraws a pending application on /apply.
 */
const ADMIN = "admin@tandem.test";

test.use({ viewport: { width: 390, height: 844 } });

test("an admin clears a leader flag with a reason, after confirming it's them", async ({
  page,
  auth,
}) => {
  test.setTimeout(120_000);
  // tech-momentum: a demo leader no other journey trades; the flag is what the detector writes.
  const figures = {
    size: {
      recent: "1200",
      trailing: "120",
      departed: true,
      words: "position size 10× the 30-day median",
    },
    leverage: { recent: "0.4", trailing: "0.3", departed: false, words: "leverage as before" },
  };
  await withDb(
    (sql) => sql`insert into leader_flags (leader_id, reason, figures, opened_at, opened_by)
      select id, 'position size 10× the 30-day median', ${sql.json(figures)}, now(), 'system'
      from leaders where handle = 'tech-momentum' on conflict do nothing`,
  );
  try {
    const errors = watchConsole(page);
    await auth.signIn(ADMIN);
    await expect(page).toHaveURL(/\/leaders/);
    // Some minutes later (say): the sign-in's proof no longer counts for a step-up action.
    await withDb(
      (sql) => sql`update session_factor_proofs set proven_at = now() - interval '10 minutes'
        where session_id in (select s.id from sessions s join users u on u.id = s.user_id
                             where u.email = ${ADMIN})`,
    );
    await page.goto("/admin");
    await page.getByRole("link", { name: "Leader flags" }).click();
    await expect(page.getByRole("heading", { name: "Leader flags" })).toBeVisible();
    const card = page.getByTestId("flag-tech-momentum");
    await expect(card).toContainText("position size 10× the 30-day median");
    await expect(card).toContainText("1200 recently, 120 over 30 days");
    await expect(card.getByTestId("flag-followers")).toHaveText(
      /^\d+ live cop(y|ies), \d+ with increases paused$/,
    );
    await noSideways(page);

    await card.getByLabel("Reason for clearing").fill("Spoke to the leader: a one-off hedge.");
    await card.getByRole("button", { name: "Clear with this reason" }).click();
    const dialog = page.getByRole("dialog", { name: "Confirm it's you" });
    await expect(dialog).toBeVisible();
    await noSideways(page);
    await dialog.getByLabel("Code", { exact: true }).fill(await freshCode(ADMIN, DEMO_TOTP_SECRET));
    await dialog.getByRole("button", { name: "Confirm" }).click();
    await expect(dialog).toBeHidden();
    await expect(page.getByRole("status")).toHaveText("The flag on @tech-momentum is cleared.");
    await expect(card).toHaveCount(0);
    // The step-up refusal is a 403 the browser logs; the dialog above was the page's answer.
    expect(errors.filter((e) => !/status of 403 \(Forbidden\)/.test(e))).toEqual([]);
  } finally {
    await withDb(
      (
        sql,
      ) => sql`update leader_flags set closed_at = now(), closed_by = 'e2e', close_reason = 'cleanup'
        where closed_at is null and leader_id = (select id from leaders where handle = 'tech-momentum')`,
    );
  }
});

test("an applicant withdraws a pending application and may apply again", async ({ page, auth }) => {
  await auth.signUp("Wes Withdraws", uniqueEmail("withdraw"), "correct-horse-battery");
  await expect(page).toHaveURL(/\/leaders/);
  await page.goto("/apply");
  await page.getByLabel("Display name").fill("Wes Withdraws");
  await page.getByLabel(/^Handle/).fill(`wes-${Date.now().toString(36)}`);
  await page
    .getByLabel(/^Strategy/)
    .fill("Index funds bought monthly and held; no leverage, no single stocks.");
  await page.getByLabel(/^Instruments/).fill("SPY");
  await page.getByRole("button", { name: "Send application" }).click();
  await expect(page.getByRole("status")).toContainText("waiting for support or an admin");
  await page.getByRole("button", { name: "Withdraw my application" }).click();
  await expect(page.getByTestId("my-applications")).toContainText("withdrawn");
  await expect(page.getByRole("button", { name: "Send application" })).toBeVisible();
  await noSideways(page);
});
