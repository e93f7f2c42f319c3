import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mfaChallenges, passkeys } from "../../db/schema";
import { createTestDb } from "../../test/db";
import { signUp } from "./accounts";
import {
  passkeyAuthenticationOptions,
  passkeyRegistrationOptions,
  relyingParty,
  verifyPasskeyRegistration,
} from "./passkeys";

let t: Awaited<ReturnType<typeof createTestDb>>;
let user: { id: string; email: string; name: string };
const rp = relyingParty(null, null, { NEXTAUTH_URL: "http://localhost:3999" });

beforeAll(async () => {
  t = await createTestDb();
  user = await signUp(t.db, {
    email: "pia@example.test",
    password: "pia-password-1",
    displayName: "Pia",
  });
});
afterAll(() => t.drop());

describe("passkeys (server side; the browser ceremony is in e2e)", () => {
  it("the relying party is NEXTAUTH_URL's host", () => {
    expect(rp).toMatchObject({ id: "localhost", origin: "http://localhost:3999" });
    expect(relyingParty("app.example:443", "https", {})).toMatchObject({
      id: "app.example",
      origin: "https://app.example",
    });
  });

  it("registration options keep their challenge; a forged answer is refused and spends it", async () => {
    const options = await passkeyRegistrationOptions(t.db, rp, user);
    expect(options.rp).toMatchObject({ id: "localhost", name: "Tandem" });
    const [c] = await t.db.select().from(mfaChallenges).where(eq(mfaChallenges.userId, user.id));
    expect(c).toMatchObject({ purpose: "passkey_register", challenge: options.challenge });
    const forged = {
      id: "AAAA",
      rawId: "AAAA",
      type: "public-key",
      clientExtensionResults: {},
      response: {
        clientDataJSON: Buffer.from(
          JSON.stringify({
            type: "webauthn.create",
            challenge: options.challenge,
            origin: "http://evil.example",
          }),
        ).toString("base64url"),
        attestationObject: "AAAA",
      },
    };
    expect(await verifyPasskeyRegistration(t.db, rp, user.id, forged as never, "Mine")).toBe(false);
    expect(await t.db.select().from(passkeys).where(eq(passkeys.userId, user.id))).toHaveLength(0);
    const [spent] = await t.db.select().from(mfaChallenges).where(eq(mfaChallenges.id, c!.id));
    expect(spent!.usedAt).not.toBeNull();
    // No second try with the same challenge.
    expect(await verifyPasskeyRegistration(t.db, rp, user.id, forged as never, "Mine")).toBe(false);
  });

  it("no authentication options for a user without passkeys", async () => {
    expect(await passkeyAuthenticationOptions(t.db, rp, user.id, "passkey_step_up")).toBeNull();
  });
});
