import { TRPCError } from "@trpc/server";
import type { Metadata } from "next";
import Link from "next/link";
import { notFound, redirect } from "next/navigation";
import { decodeSegment } from "@/components/url";
import { WhatIf } from "@/components/what-if";
import { serverCaller } from "@/server/api/server-caller";
import { getViewer } from "@/server/auth/session";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "What if I had copied?" };

export default async function WhatIfPage({ params }: { params: Promise<{ handle: string }> }) {
  const { handle } = await params;
  const viewer = await getViewer();
  if (!viewer) redirect(`/signin?next=${encodeURIComponent(`/leaders/${handle}/what-if`)}`);
  const name = decodeSegment(handle);
  if (name === null) notFound();
  const api = await serverCaller();
  const p = await api.leaders.profile({ handle: name }).catch((err: unknown) => {
    if (err instanceof TRPCError && err.code === "NOT_FOUND") return null;
    throw err;
  });
  if (!p) notFound();
  const { leader } = p;
  return (
    <section className="stack">
      <h1>What if I had copied {leader.displayName}?</h1>
      <p className="muted" style={{ margin: 0 }}>
        <Link href={`/leaders/${leader.handle}`}>@{leader.handle}</Link> · pick an amount, a sizing,
        limits and fees; the engine replays the leader&apos;s recorded trades with them. Past
        results do not promise future ones.
      </p>
      <WhatIf
        leader={{
          id: leader.id,
          handle: leader.handle,
          name: leader.displayName,
          feePct: leader.performanceFeePct,
        }}
      />
    </section>
  );
}
