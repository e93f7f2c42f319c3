import { getDb } from "@/server/db";
import { strategyApiFor } from "@/server/strategy-api/http";

export const dynamic = "force-dynamic";

/**
 * The signed strategy API (docs/openapi/strategy-api.yaml): one handler for every method and
 * path under /api/v1, so an unknown path or method gets the API's own answer in words.
 */
async function handler(req: Request): Promise<Response> {
  return (await strategyApiFor(await getDb()))(req);
}

export { handler as GET, handler as POST, handler as PUT, handler as PATCH, handler as DELETE };
