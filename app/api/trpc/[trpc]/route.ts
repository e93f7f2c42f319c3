import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { appRouter } from "@/server/api/root";
import { clientInfo } from "@/server/auth/client-info";
import { retryAfterHeaders } from "@/server/auth/rate-limits";
import { getViewer } from "@/server/auth/session";
import { getDb } from "@/server/db";

const handler = (req: Request) =>
  fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    createContext: async () => ({
      db: await getDb(),
      viewer: await getViewer(),
      client: clientInfo(req.headers),
    }),
    // A 429 says when to come back.
    responseMeta: ({ errors }) => ({ headers: retryAfterHeaders(errors) }),
  });

export { handler as GET, handler as POST };
