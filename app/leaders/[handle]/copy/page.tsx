import { TRPCError } from "@trpc/server";
import Link from "next/link";
import { notFound, redirect } from "next/navigation";
import { CopyForm } from "@/components/copy-form";
import { serverCaller } from "@/server/api/server-caller";
import { getViewer } from "@/server/auth/session";
import { AGREEMENT_VERSION } from "@/server/queries/copies";

export const dynamic = "force-dynamic";

export default async function CopyPage({ params }: { params: Promise<{ handle: string }> }) {
  const { handle } = await params;
  const viewer = await getViewer();
  if (!viewer) redirect(`/signin?next=${encodeURIComponent(`/leaders/${handle}/copy`)}`);
  const api = await serverCaller();
  let p;
  try {
    p = await api.leaders.profile({ handle: decodeURIComponent(handle) });
  } catch (err) {
    if (err instanceof TRPCError && err.code === "NOT_FOUND") notFound();
    throw err;
  }
  const { leader } = p;
  if (!leader.copyable || !p.meetsTrackRecord) {
    return (
      <section className="card" role="alert">
        <h1>{leader.displayName} cannot be copied yet</h1>
        <p>
          {p.meetsTrackRecord
            ? "Copying is closed for this leader at the moment."
            : `Leaders need ${p.minTrackRecordDays} days of track record before they can be copied; ${leader.displayName} has ${p.trackRecordDays}.`}
        </p>
        <Link href={`/leaders/${leader.handle}`}>Back to the profile</Link>
      </section>
    );
  }
  const account = await api.account.summary();
  return (
    <section className="stack">
      <h1>Copy {leader.displayName}</h1>
      <p className="muted">
        <Link href={`/leaders/${leader.handle}`}>@{leader.handle}</Link> · performance fee{" "}
        {leader.performanceFeePct} % · minimum {leader.minAllocation} USD
      </p>
      <CopyForm
        leader={{
          id: leader.id,
          handle: leader.handle,
          name: leader.displayName,
          feePct: leader.performanceFeePct,
          minAllocation: leader.minAllocation,
        }}
        agreementVersion={AGREEMENT_VERSION}
        initialAvailable={account?.funds.available ?? "0"}
      />
    </section>
  );
}
