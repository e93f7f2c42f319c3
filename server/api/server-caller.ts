import "server-only";
import { getClientInfo, getViewer } from "../auth/session";
import { getDb } from "../db";
import { createCaller } from "./root";

/** tRPC caller for server components: same procedures, same authorization, no HTTP hop. */
export async function serverCaller() {
  return createCaller({
    db: await getDb(),
    viewer: await getViewer(),
    client: await getClientInfo(),
  });
}
