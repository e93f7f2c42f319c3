"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTRPC } from "./trpc";

/** A follower's application to lead (docs/adr/0051), and what became of earlier ones. */
export function LeaderApplicationForm() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const mine = useQuery(trpc.applications.mine.queryOptions());
  const submit = useMutation(trpc.applications.submit.mutationOptions());
  const withdraw = useMutation(trpc.applications.withdraw.mutationOptions());
  const [error, setError] = useState<string | null>(null);

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setError(null);
    const f = new FormData(e.currentTarget);
    try {
      await submit.mutateAsync({
        displayName: String(f.get("displayName") ?? ""),
        handle: String(f.get("handle") ?? ""),
        strategy: String(f.get("strategy") ?? ""),
        instruments: String(f.get("instruments") ?? "")
          .split(/[\s,]+/)
          .filter(Boolean)
          .map((s) => s.toUpperCase()),
        brokerAccountId: String(f.get("brokerAccountId") ?? ""),
      });
      await qc.invalidateQueries({ queryKey: trpc.applications.mine.queryKey() });
    } catch (err) {
      setError(err instanceof Error ? err.message : "The application was not sent.");
    }
  }

  async function onWithdraw(id: string) {
    setError(null);
    try {
      await withdraw.mutateAsync({ id });
      await qc.invalidateQueries({ queryKey: trpc.applications.mine.queryKey() });
    } catch (err) {
      setError(err instanceof Error ? err.message : "The application was not withdrawn.");
    }
  }

  const d = mine.data;
  if (!d) return <p>Loading…</p>;
  const pending = d.applications.find((a) => a.status === "pending");
  return (
    <section className="card form" aria-labelledby="apply-title">
      <h1 id="apply-title">Become a leader</h1>
      {d.applications.length > 0 && (
        <ul data-testid="my-applications">
          {d.applications.map((a) => (
            <li key={a.id}>
              @{a.handle}: <strong>{a.status}</strong>
              {a.reason ? ` — ${a.reason}` : ""}
            </li>
          ))}
        </ul>
      )}
      {d.role !== "follower" ? (
        <p>You already have the {d.role} role.</p>
      ) : pending ? (
        <>
          <p role="status">Your application is waiting for support or an admin to decide.</p>
          <button
            type="button"
            className="secondary"
            disabled={withdraw.isPending}
            onClick={() => void onWithdraw(pending.id)}
          >
            Withdraw my application
          </button>
          {error && (
            <p role="alert" className="error">
              {error}
            </p>
          )}
        </>
      ) : (
        <form onSubmit={onSubmit} noValidate>
          <p>
            Support or an admin reviews every application with your history on Tandem. Once
            approved, you set up a second factor and your leader console opens.
          </p>
          <label>
            Display name
            <input name="displayName" required minLength={2} maxLength={60} />
          </label>
          <label>
            Handle <span className="muted">(letters, digits, dashes)</span>
            <input name="handle" required minLength={3} maxLength={30} />
          </label>
          <label>
            Strategy <span className="muted">(what you trade, how, and how much risk)</span>
            <textarea name="strategy" required minLength={20} maxLength={2000} rows={4} />
          </label>
          <label>
            Instruments <span className="muted">(symbols, separated by commas)</span>
            <input name="instruments" required placeholder="AAPL, MSFT" />
          </label>
          <label>
            Trading account
            <select name="brokerAccountId" required>
              {d.accounts.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.label} ({a.broker}, {a.mode})
                </option>
              ))}
            </select>
          </label>
          {error && (
            <p role="alert" className="error">
              {error}
            </p>
          )}
          <button type="submit" disabled={submit.isPending}>
            Send application
          </button>
        </form>
      )}
    </section>
  );
}
