import type { Metadata } from "next";
import { TRPCError } from "@trpc/server";
import { notFound, redirect } from "next/navigation";
import { Statement } from "@/components/statement";
import { StatementOffer } from "@/components/statement-offer";
import { serverCaller } from "@/server/api/server-caller";
import { getViewer } from "@/server/auth/session";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Statement" };

export default async function StatementPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const viewer = await getViewer();
  if (!viewer) redirect(`/signin?next=${encodeURIComponent(`/copies/${id}/statement`)}`);
  const api = await serverCaller();
  const gone = (err: unknown) => {
    if (err instanceof TRPCError && (err.code === "NOT_FOUND" || err.code === "BAD_REQUEST"))
      return null;
    throw err;
  };
  const statement = await api.fees.statement({ id }).catch(gone);
  if (!statement) notFound();
  const offer = statement.readOnly ? null : await api.fees.offer({ id }).catch(gone);
  return (
    <div className="stack">
      {offer?.offered ? <StatementOffer copyId={id} offer={offer} /> : null}
      <Statement s={statement} />
    </div>
  );
}
