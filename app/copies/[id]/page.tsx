import type { Metadata } from "next";
import { TRPCError } from "@trpc/server";
import { notFound, redirect } from "next/navigation";
import { CopyDetail } from "@/components/copy-detail";
import { serverCaller } from "@/server/api/server-caller";
import { getViewer } from "@/server/auth/session";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Your copy" };

export default async function CopyPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const viewer = await getViewer();
  if (!viewer) redirect(`/signin?next=${encodeURIComponent(`/copies/${id}`)}`);
  const api = await serverCaller();
  const detail = await api.copies.detail({ id }).catch((err: unknown) => {
    // Someone else's copy, or no such copy: the same answer, so ids cannot be probed.
    if (err instanceof TRPCError && (err.code === "NOT_FOUND" || err.code === "BAD_REQUEST"))
      return null;
    throw err;
  });
  if (!detail) notFound();
  return <CopyDetail initial={detail} />;
}
