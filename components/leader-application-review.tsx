"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTRPC } from "./trpc";

/** Staff's queue of leader applications, each with the applicant's history (docs/adr/0051). */
export function LeaderApplicationReview() {
  const trpc = useTRPC();
  const list = useQuery(trpc.applications.list.queryOptions({ status: "pending" }));
  const [open, setOpen] = useState<string | null>(null);
  return (
    <section className="card" aria-labelledby="apps-title">
      <h1 id="apps-title">Leader applications</h1>
      {list.data?.length === 0 && <p>No applications are waiting.</p>}
      <ul data-testid="applications">
        {list.data?.map((a) => (
          <li key={a.id}>
            <button type="button" onClick={() => setOpen(a.id)}>
              Review @{a.handle}
            </button>{" "}
            {a.displayName} · {a.email}
          </li>
        ))}
      </ul>
      {open && <ApplicationDetail id={open} onDone={() => setOpen(null)} />}
    </section>
  );
}

function ApplicationDetail({ id, onDone }: { id: string; onDone: () => void }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const q = useQuery(trpc.applications.get.queryOptions({ id }));
  const decide = useMutation(trpc.applications.decide.mutationOptions());
  const [error, setError] = useState<string | null>(null);

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const submitter = (e.nativeEvent as SubmitEvent).submitter as HTMLButtonElement | null;
    setError(null);
    try {
      await decide.mutateAsync({
        id,
        decision: submitter?.value === "refuse" ? "refuse" : "approve",
        reason: String(f.get("reason") ?? ""),
      });
      await qc.invalidateQueries({ queryKey: trpc.applications.list.queryKey() });
      onDone();
    } catch (err) {
      setError(err instanceof Error ? err.message : "The decision was not saved.");
    }
  }

  const d = q.data;
  if (!d) return <p>Loading…</p>;
  const a = d.application;
  return (
    <form
      onSubmit={onSubmit}
      className="form"
      aria-label={`Application of @${a.handle}`}
      noValidate
    >
      <h2>@{a.handle}</h2>
      <dl>
        <dt>Applicant</dt>
        <dd>
          {a.displayName} ({d.email}), account since{" "}
          {new Date(d.userCreatedAt).toISOString().slice(0, 10)}
        </dd>
        <dt>Strategy</dt>
        <dd style={{ whiteSpace: "pre-wrap", overflowWrap: "anywhere" }}>{a.strategy}</dd>
        <dt>Instruments</dt>
        <dd>{a.instruments.join(", ")}</dd>
        <dt>Trading account</dt>
        <dd>
          {d.account.label} ({d.account.broker}, {d.account.mode})
        </dd>
        <dt>History</dt>
        <dd data-testid="applicant-history">
          {d.history.copies} copies, {d.history.orders} orders; recent actions:{" "}
          {d.history.audit.map((x) => x.action).join(", ") || "none"}
        </dd>
      </dl>
      <label>
        Reason <span className="muted">(told to the applicant)</span>
        <textarea name="reason" required minLength={5} maxLength={500} rows={3} />
      </label>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <button type="submit" value="approve" disabled={decide.isPending}>
        Approve
      </button>{" "}
      <button type="submit" value="refuse" disabled={decide.isPending}>
        Refuse
      </button>
    </form>
  );
}
