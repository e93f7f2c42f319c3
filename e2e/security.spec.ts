import { AuthPage, expect, test, uniqueEmail } from "./fixtures";
import { withDb } from "./journey";

/**
 * Sessions, abuse limits and headers against the production build (issue 14). The database
 * is the e2e server's own: the spec changes a role there the way an admin tool would.
 */
const PORT = Number(process.env.E2E_PORT ?? 3100);

test("pages carry a nonce CSP and the other security headers; scripts still run", async ({
  page,
  request,
}) => {
  const violations: string[] = [];
  page.on("console", (m) => {
    if (/Content Security Policy|Refused to (execute|load)/i.test(m.text()))
      violations.push(m.text());
  });
  const res = await page.goto("/signin");
  const h = res!.headers();
  const csp = h["content-security-policy"] ?? "";
  expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]{16,}' 'strict-dynamic'/);
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("object-src 'none'");
  expect(csp).not.toContain("unsafe-eval");
  expect(h["x-content-type-options"]).toBe("nosniff");
  expect(h["referrer-policy"]).toBe("strict-origin-when-cross-origin");
  expect(h["permissions-policy"]).toContain("camera=()");
  expect(h["x-frame-options"]).toBe("DENY");
  expect(h["strict-transport-security"]).toBeUndefined(); // plain HTTP here
  // The page hydrated under that policy: the client-side form works.
  await new AuthPage(page).signIn("bob@tandem.test", "wrong-password-123");
  await expect(page.getByRole("main").getByRole("alert")).toHaveText("Wrong e-mail or password.");
  expect(violations).toEqual([]);

  // A fresh nonce each time.
  const again = (await request.get("/signin")).headers()["content-security-policy"];
  expect(again).not.toBe(csp);

  // Behind a TLS proxy: HSTS, on pages and API routes alike.
  const https = { "x-forwarded-proto": "https" };
  expect(
    (await request.get("/", { headers: https })).headers()["strict-transport-security"],
  ).toMatch(/max-age=\d{7,}/);
  const api = await request.get("/api/health", { headers: https });
  expect(api.headers()["strict-transport-security"]).toMatch(/max-age=\d{7,}/);
  expect(api.headers()["x-content-type-options"]).toBe("nosniff");
  expect(api.headers()["content-security-policy"]).toContain("frame-ancestors 'none'");
});

test("sign-out lands on the host in use, and the old cookie is refused afterwards", async ({
  browser,
}) => {
  // Before: sign-out redirected to NEXTAUTH_URL (localhost) and the cookie kept working.
  const ctx = await browser.newContext({ baseURL: `http://127.0.0.1:${PORT}` });
  const page = await ctx.newPage();
  await new AuthPage(page).signIn("carol@tandem.test");
  await expect(page.getByTestId("viewer-email")).toHaveText("carol@tandem.test");
  const cookies = await ctx.cookies();
  expect(cookies.find((c) => c.name === "next-auth.session-token")?.httpOnly).toBe(true);
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await expect(page).toHaveURL(`http://127.0.0.1:${PORT}/`);
  await expect(page.getByRole("link", { name: "Sign in" })).toBeVisible();

  const replay = await browser.newContext({ baseURL: `http://127.0.0.1:${PORT}` });
  await replay.addCookies(cookies);
  const me = await replay.request.get("/api/trpc/auth.me");
  expect(me.status()).toBe(401);
  const p2 = await replay.newPage();
  await p2.goto("/dashboard");
  await expect(p2.getByTestId("viewer-email")).toHaveCount(0);
  await ctx.close();
  await replay.close();
});

test("a demoted admin is refused the console on the next request", async ({ browser }) => {
  // Before: the role lived in the JWT for up to 7 days.
  const email = uniqueEmail("staff");
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const auth = new AuthPage(page);
  await auth.signUp("Sam Staff", email, "correct-horse-battery");
  await expect(page.getByTestId("viewer-email")).toHaveText(email);
  await withDb((sql) => sql`update users set role = 'admin' where email = ${email}`);
  // Now an admin: the console's door opens onto enrolling a second factor first (ADR 0050),
  // where a follower would get 403; the staff procedures, too, ask for the factor (not the role).
  await page.goto("/admin");
  await expect(page).toHaveURL(/\/security\?next=/);
  const asAdmin = await page.request.get("/api/trpc/admin.overview");
  expect(asAdmin.status()).toBe(403);
  expect(await asAdmin.text()).toContain("SECOND_FACTOR_REQUIRED");

  await withDb((sql) => sql`update users set role = 'follower' where email = ${email}`);
  const res = await page.goto("/admin");
  expect(res?.status()).toBe(403);
  const asFollower = await page.request.get("/api/trpc/admin.overview");
  expect(asFollower.status()).toBe(403);
  expect(await asFollower.text()).not.toContain("SECOND_FACTOR_REQUIRED");
  await ctx.close();
});

test("sign out everywhere ends the other browser's session too", async ({ browser }) => {
  const email = uniqueEmail("two-devices");
  const a = await browser.newContext();
  const b = await browser.newContext();
  const pa = await a.newPage();
  const pb = await b.newPage();
  await new AuthPage(pa).signUp("Tess Two", email, "correct-horse-battery");
  await expect(pa.getByTestId("viewer-email")).toHaveText(email);
  await new AuthPage(pb).signIn(email, "correct-horse-battery");
  await expect(pb.getByTestId("viewer-email")).toHaveText(email);

  await pa.getByRole("button", { name: "Sign out everywhere" }).click();
  await expect(pa.getByRole("link", { name: "Sign in" })).toBeVisible();
  expect((await pb.request.get("/api/trpc/auth.me")).status()).toBe(401);
  await pb.reload();
  await expect(pb.getByTestId("viewer-email")).toHaveCount(0);
  const rows = await withDb(
    (sql) =>
      sql`select a.action, a.ip, a.user_agent from audit_log a join users u on u.id = a.actor_user_id
          where u.email = ${email} order by a.id`,
  );
  const actions = rows.map((r) => r.action);
  expect(actions).toEqual(
    expect.arrayContaining(["user.sign_up", "user.sign_in", "user.sign_out_everywhere"]),
  );
  for (const r of rows) expect(r.user_agent).toMatch(/Chrome|HeadlessChrome/);
  await a.close();
  await b.close();
});

test("30 parallel wrong passwords: 5 are checked, the rest get 429 with Retry-After", async ({
  request,
}) => {
  // Before: 8 of 30 were evaluated, and a refusal was a plain 401.
  const email = uniqueEmail("target");
  const csrf = (await (await request.get("/api/auth/csrf")).json()) as { csrfToken: string };
  const attempt = (i: number) =>
    request.post("/api/auth/callback/credentials", {
      form: { csrfToken: csrf.csrfToken, email, password: `guess-${i}`, json: "true" },
    });
  const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => attempt(i)));
  const statuses = answers.map((r) => r.status());
  expect(statuses.filter((s) => s === 429)).toHaveLength(25);
  expect(statuses.filter((s) => s === 401)).toHaveLength(5);
  const refused = answers.find((r) => r.status() === 429)!;
  expect(Number(refused.headers()["retry-after"])).toBeGreaterThan(0);
  const body = (await refused.json()) as { url: string };
  expect(new URL(body.url).searchParams.get("error")).toMatch(/Too many sign-in attempts\. Wait/);
});

test("sign-up answers alike for a new and an existing e-mail", async ({ request }) => {
  const call = (email: string) =>
    request.post("/api/trpc/auth.signUp", {
      data: { json: { email, password: "some-long-password", displayName: "Probe" } },
    });
  const fresh = await call(uniqueEmail("probe"));
  const taken = await call("admin@tandem.test");
  expect(fresh.status()).toBe(200);
  expect(taken.status()).toBe(200);
  expect(await taken.json()).toEqual(await fresh.json());
});
