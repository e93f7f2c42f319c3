import type { Page } from "@playwright/test";
import postgres from "postgres";
import { urlFor } from "../db/embedded";
import { expect, test, uniqueEmail } from "./fixtures";

/**
 * Passkeys in a real browser (issue 12, docs/adr/0050): Chromium's virtual authenticator
 * (DevTools protocol, WebAuthn domain) stands in for the phone or security key, so the real
 * @simplewebauthn code runs on both ends. Enrol on /security, sign in with the passkey, and
 * answer a step-up ("Confirm it's you") with it before a withdrawal.
 */
const dbUrl =
  process.env.DATABASE_URL ?? urlFor(Number(process.env.E2E_PG_PORT ?? 54339), "tandem");

async function virtualAuthenticator(page: Page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  // A platform authenticator that holds discoverable credentials and verifies the user at once.
  await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
}

test("enrol a passkey, sign in with it, confirm a withdrawal with it, and remove it", async ({
  page,
  auth,
}) => {
  const email = uniqueEmail("passkey");
  const password = "correct-horse-battery";
  await auth.signUp("Pia Passkey", email, password);
  await expect(page).toHaveURL(/\/leaders/);
  await virtualAuthenticator(page);

  await page.goto("/security");
  await page.getByRole("button", { name: "Add a passkey" }).click();
  await expect(page.getByTestId("mfa-status")).toContainText("Passkeys: 1");
  // A first factor comes with its recovery codes, shown once.
  await expect(page.getByTestId("recovery-codes").getByRole("listitem")).toHaveCount(10);
  await expect(page.getByRole("button", { name: /^Remove passkey / })).toBeVisible();

  // Signed out, the password alone no longer signs in: the passkey does.
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  // Sign-out ends with its own full load of "/": wait for it, or it can land after the goto
  // below and take the page away from the form (flaky in CI, session 12).
  await expect(page.getByRole("link", { name: "Sign in" })).toBeVisible();
  await page.goto("/signin");
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Confirm it's you" })).toBeVisible();
  await page.getByRole("button", { name: "Use a passkey instead" }).click();
  await expect(page.getByTestId("viewer-email")).toHaveText(email);
  await expect(page).not.toHaveURL(/\/signin/);

  // Ten minutes later (say): this session's proof is too old for a withdrawal.
  const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
  try {
    await sql`update session_factor_proofs set proven_at = now() - interval '10 minutes'
              where session_id in (select s.id from sessions s join users u on u.id = s.user_id
                                   where u.email = ${email})`;
  } finally {
    await sql.end();
  }
  await page.goto("/dashboard");
  await expect(page.getByTestId("account-cash")).toHaveText(/^\$[\d,]+\.\d\d$/);
  await page.getByLabel("Amount (USD)").fill("100");
  await page.getByRole("button", { name: "Withdraw" }).click();
  const dialog = page.getByRole("dialog", { name: "Confirm it's you" });
  await expect(dialog).toBeVisible();
  await dialog.getByRole("button", { name: "Use a passkey" }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByRole("status").filter({ hasText: "Withdrawn." })).toBeVisible();

  // The proof is fresh again: the passkey can be removed (a follower may remove the last one).
  await page.goto("/security");
  await page.getByRole("button", { name: /^Remove passkey / }).click();
  await expect(page.getByRole("status").filter({ hasText: "removed." })).toBeVisible();
  await expect(page.getByTestId("mfa-status")).toContainText("Passkeys: 0");
});
