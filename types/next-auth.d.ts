import type { DefaultSession } from "next-auth";

// The cookie carries ids only; role and the session's liveness come from the database on
// every request (docs/adr/0010).
declare module "next-auth" {
  interface Session {
    user: DefaultSession["user"] & { id: string };
  }
  interface User {
    sid?: string;
  }
}

declare module "next-auth/jwt" {
  interface JWT {
    uid?: string;
    sid?: string;
  }
}
