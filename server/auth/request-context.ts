import { AsyncLocalStorage } from "node:async_hooks";
import type { ClientInfo } from "./client-info";

/**
 * What the next-auth route handler knows about the request, for code next-auth calls back
 * without it (events.signOut gets no request) and for what it must hand back (a throttled
 * sign-in becomes a 429 with Retry-After instead of next-auth's generic 401).
 */
export type AuthRequestContext = { client: ClientInfo; retryAfterSeconds?: number };

export const requestContext = new AsyncLocalStorage<AuthRequestContext>();
