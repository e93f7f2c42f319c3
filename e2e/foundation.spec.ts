import { expect, test, uniqueEmail } from "./fixtures";

test("a visitor signs up, is signed in, and sees the leaders list", async ({ page, auth }) => {
  const email = uniqueEmail("visitor");
  await auth.signUp("Vera Visitor", email, "correct-horse-battery");
  await expect(page).toHaveURL(/\/leaders/);
  await expect(page.getByTestId("viewer-email")).toHaveText(email);
  // The visible table (a hidden copy can be in the document while the page streams in).
  await expect(page.getByTestId("leaders-table").filter({ visible: true })).toBeVisible();
  await expect(page.getByRole("row", { name: /Grace Whitfield/ })).toBeVisible();
});

test("sign-up with a bad e-mail and a short password is refused with clear messages", async ({
  page,
  auth,
}) => {
  await auth.signUp("Vera", "not-an-email", "short");
  await expect(page.getByRole("main").getByRole("alert")).toContainText("valid e-mail");
  await expect(page.getByRole("main").getByRole("alert")).toContainText("at least 10 characters");
  await expect(page).toHaveURL(/\/signup/);
});

test("a returning user signs in; a wrong password gets a clear error", async ({ page, auth }) => {
  await auth.signIn("bob@tandem.test", "wrong-password-123");
  await expect(page.getByRole("main").getByRole("alert")).toHaveText("Wrong e-mail or password.");
  await auth.signIn("bob@tandem.test");
  await expect(page).toHaveURL(/\/leaders/);
  await expect(page.getByTestId("viewer-email")).toHaveText("bob@tandem.test");
});

test("a follower who opens the admin console is refused by the server", async ({ page, auth }) => {
  await auth.signIn("follower@tandem.test");
  await expect(page).toHaveURL(/\/leaders/);
  const response = await page.goto("/admin");
  expect(response?.status()).toBe(403);
  await expect(page.getByText(/only for admin and support/)).toBeVisible();
  await expect(page.getByRole("heading", { name: "Admin console" })).toHaveCount(0);
  // The API refuses too, not only the page.
  const api = await page.request.get("/api/trpc/admin.overview");
  expect(api.status()).toBe(403);
});

test("an admin gets into the console", async ({ page, auth }) => {
  await auth.signIn("admin@tandem.test");
  await expect(page).toHaveURL(/\/leaders/);
  await page.goto("/admin");
  await expect(page.getByRole("heading", { name: "Admin console" })).toBeVisible();
  await expect(page.getByRole("main").getByText("Leaders", { exact: true })).toBeVisible();
});
