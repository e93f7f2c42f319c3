"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState, type FormEvent } from "react";
import { quietly, useStepUp } from "./second-factor-dialog";
import { When } from "./time";
import { useTRPC } from "./trpc";

type Figure = { recent: string | null; trailing: string | null; departed: boolean; words: string };

/** The detector's figures as stored with the flag: the metrics, without the window and count. */
function metrics(figures: Record<string, unknown>): Array<[string, Figure]> {
  return Object.entries(figures).filter(
    (e): e is [string, Figure] =>
      typeof e[1] === "object" && e[1] !== null && "words" in e[1] && "departed" in e[1],
  );
}

/**
 * Open strategy-change flags (docs/adr/0036) for staff: the leader, what changed with the
 * detector's figures, when, and the followers it touches. An admin clears one with a reason
 * after looking into it (a step-up action, audited); support reads.
 */
export function LeaderFlagsReview({ canClear }: { canClear: boolean }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const flags = useQuery({ ...trpc.trust.flags.queryOptions(), refetchInterval: 15_000 });
  const clear = useMutation(trpc.trust.clearFlag.mutationOptions());
  const { run, dialog } = useStepUp();
  const [error, setError] = useState<{ id: string; text: string } | null>(null);
  const [done, setDone] = useState<string | null>(null);

  async function onClear(e: FormEvent<HTMLFormElement>, id: string, handle: string) {
    e.preventDefault();
    const reason = String(new FormData(e.currentTarget).get("reason") ?? "").trim();
    setError(null);
    setDone(null);
    if (reason.length < 3)
      return setError({ id, text: "Reason: say why, in at least 3 characters." });
    try {
      await run(() => clear.mutateAsync({ id, reason }));
      setDone(`The flag on @${handle} is cleared.`);
      await qc.invalidateQueries({ queryKey: trpc.trust.flags.queryKey() });
    } catch (err) {
      setError({ id, text: err instanceof Error ? err.message : "The flag was not cleared." });
    }
  }

  return (
    <section className="card" aria-labelledby="flags-title">
      {dialog}
      <h1 id="flags-title">Leader flags</h1>
      <p className="muted">
        A flag opens when a leader&apos;s recent trading departs from their own trailing 30 days.
        Followers are told; those who chose it have increases paused until it is cleared.
      </p>
      {flags.isLoading && <p>Loading…</p>}
      {flags.error && (
        <p role="alert" className="error">
          {flags.error.message}
        </p>
      )}
      {done && <p role="status">{done}</p>}
      {flags.data?.length === 0 && <p>No open flags.</p>}
      <ul data-testid="leader-flags" className="stack" style={{ listStyle: "none", padding: 0 }}>
        {flags.data?.map((f) => (
          <li key={f.id} className="card" data-testid={`flag-${f.handle}`}>
            <h2 style={{ marginTop: 0, overflowWrap: "anywhere" }}>
              <Link href={`/leaders/${f.handle}`}>{f.displayName}</Link>{" "}
              <span className="muted">@{f.handle}</span>
            </h2>
            <p>
              Flagged <When at={f.openedAt} />: {f.reason}
            </p>
            <dl className="kv">
              {metrics(f.figures).map(([m, fig]) => (
                <div key={m} style={{ display: "contents" }}>
                  <dt>{fig.departed ? <strong>{m}</strong> : m}</dt>
                  <dd style={{ overflowWrap: "anywhere" }}>
                    {fig.recent ?? "—"} recently, {fig.trailing ?? "—"} over 30 days
                    {fig.departed ? ` (${fig.words})` : ""}
                  </dd>
                </div>
              ))}
              <dt>Followers</dt>
              <dd data-testid="flag-followers">
                {f.followers} live {f.followers === 1 ? "copy" : "copies"}, {f.pausedFollowers} with
                increases paused
              </dd>
            </dl>
            {canClear && (
              <form
                onSubmit={(e) => quietly(onClear(e, f.id, f.handle))}
                noValidate
                className="form"
                aria-label={`Clear the flag on @${f.handle}`}
              >
                <label>
                  Reason for clearing
                  <input name="reason" required minLength={3} maxLength={500} />
                </label>
                {error?.id === f.id && (
                  <p role="alert" className="error">
                    {error.text}
                  </p>
                )}
                <button type="submit" disabled={clear.isPending}>
                  Clear with this reason
                </button>
              </form>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
