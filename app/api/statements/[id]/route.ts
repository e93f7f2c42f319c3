import { TRPCError } from "@trpc/server";
import { serverCaller } from "@/server/api/server-caller";

export const dynamic = "force-dynamic";

/**
 * The statement as a CSV download. The same tRPC procedure as the page, so the same
 * authorization: the copy's follower, or staff; anyone else gets 404 (ids cannot be probed).
 */
export async function GET(_req: Request, { params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const api = await serverCaller();
  try {
    const { fileName, csv } = await api.fees.statementCsv({ id });
    return new Response(csv, {
      headers: {
        "content-type": "text/csv; charset=utf-8",
        "content-disposition": `attachment; filename="${fileName}"`,
        "cache-control": "no-store",
      },
    });
  } catch (err) {
    if (err instanceof TRPCError && err.code === "UNAUTHORIZED")
      return new Response("Sign in to download your statement.\n", { status: 401 });
    if (err instanceof TRPCError && (err.code === "NOT_FOUND" || err.code === "BAD_REQUEST"))
      return new Response("No such statement.\n", { status: 404 });
    return new Response("Something went wrong on our side. Please try again.\n", { status: 500 });
  }
}
