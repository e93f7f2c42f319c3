import { TRPCError } from "@trpc/server";
import Link from "next/link";
import { notFound, redirect } from "next/navigation";
import { CopyForm } from "@/components/copy-form";
import { serverCaller } from "@/server/api/server-caller";
import { decodeSegment } from "@/components/url";
import { getViewer } from "@/server/auth/session";
import { money } from "@/components/format";
import type { Metadata } from "next";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Copy a leader" };

export default async function CopyPage({
  params,
  searchParams,
}: {
  params: Promise<{ handle: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { handle } = await params;
  // "Copy with these settings" from a what-if (ADR 0066): text only, validated as typed.
  const q = await searchParams;
  const text = (k: string) => (typeof q[k] === "string" ? q[k].slice(0, 32) : undefined);
  const asked = text("mode");
  const modes = ["proportional", "multiplier", "fixed_notional"] as const;
  const mode = modes.find((m) => m === asked);
  const prefill = {
    amount: text("amount"),
    mode,
    factor: text("factor"),
    notional: text("notional"),
  };
  const viewer = await getViewer();
  if (!viewer) redirect(`/signin?next=${encodeURIComponent(`/leaders/${handle}/copy`)}`);
  const api = await serverCaller();
  let p;
  try {
    const name = decodeSegment(handle);
    if (name === null) notFound();
    p = await api.leaders.profile({ handle: name });
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
  // A second copy of the same leader is refused at the end; say so at the start instead.
  const existing = (await api.copies.mine()).find(
    (c) => c.leader.id === leader.id && c.status !== "stopped",
  );
  if (existing) {
    return (
      <section className="card stack" role="status">
        <h1>You already copy {leader.displayName}</h1>
        <p style={{ margin: 0 }}>
          One copy per leader: change its amount or limits, pause it or stop it on its page.
        </p>
        <p style={{ margin: 0 }}>
          <Link href={`/copies/${existing.id}`} className="button">
            Manage your copy of {leader.displayName}
          </Link>
        </p>
      </section>
    );
  }
  return (
    <section className="stack">
      <h1>Copy {leader.displayName}</h1>
      <p className="muted">
        <Link href={`/leaders/${leader.handle}`}>@{leader.handle}</Link> · performance fee{" "}
        {leader.performanceFeePct} % · minimum {money(leader.minAllocation)}
      </p>
      <CopyForm
        leader={{
          id: leader.id,
          handle: leader.handle,
          name: leader.displayName,
          feePct: leader.performanceFeePct,
          minAllocation: leader.minAllocation,
        }}
        agreementVersion={await api.copies.agreementVersion()}
        initialAvailable={account?.funds.available ?? "0"}
        prefill={prefill}
      />
    </section>
  );
}
