/** next-auth's session cookie: __Secure- prefixed (and Secure) when served over HTTPS. */
export function sessionCookieName(secure: boolean): string {
  return secure ? "__Secure-next-auth.session-token" : "next-auth.session-token";
}
