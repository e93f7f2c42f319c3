import { secretBox } from "../brokers/alpaca/accounts";
import { getDb } from "../db";
import type { ClientInfo } from "./client-info";
import { completePendingSignIn, SecondFactorError, type FactorProof } from "./mfa";
import { relyingParty } from "./passkeys";

type Headers = Record<string, string | string[] | undefined>;
const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/** The relying party of a request (passkeys): NEXTAUTH_URL, else the request's host. */
export function relyingPartyOf(headers: Headers) {
  return relyingParty(first(headers.host), first(headers["x-forwarded-proto"]));
}

/**
 * next-auth's authorize() for the second step of a sign-in: the pending token plus a code or
 * a passkey answer. Errors become the form's message (next-auth passes it through).
 */
export async function secondStep(
  credentials: Record<string, string | undefined>,
  headers: Headers,
  client: ClientInfo,
) {
  let proof: FactorProof;
  if (credentials.passkey) {
    try {
      proof = { passkey: JSON.parse(credentials.passkey) as never };
    } catch {
      throw new Error("Passkey: the answer could not be read. Try again.");
    }
  } else proof = { code: String(credentials.code ?? "").slice(0, 40) };
  try {
    const user = await completePendingSignIn(
      await getDb(),
      secretBox(),
      relyingPartyOf(headers),
      String(credentials.pending),
      proof,
      client,
    );
    return { id: user.id, email: user.email, name: user.name, sid: user.sessionId };
  } catch (err) {
    if (err instanceof SecondFactorError) throw new Error(err.message);
    throw err;
  }
}
