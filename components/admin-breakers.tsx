"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { dateTime } from "./format";
import { useTRPC } from "./trpc";

/** Open and close circuit breakers; support sees them, only admins change them. */
export function AdminBreakers({ canChange }: { canChange: boolean }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const list = useQuery({ ...trpc.admin.breakers.queryOptions(), refetchInterval: 5000 });
  const invalidate = () => qc.invalidateQueries({ queryKey: trpc.admin.breakers.queryKey() });
  const open = useMutation(trpc.admin.openBreaker.mutationOptions({ onSuccess: invalidate }));
  const close = useMutation(trpc.admin.closeBreaker.mutationOptions({ onSuccess: invalidate }));
  const [scope, setScope] = useState<"global" | "leader" | "instrument" | "broker">("instrument");

  function onOpen(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    open.mutate({ scope, key: String(f.get("key") ?? ""), reason: String(f.get("reason") ?? "") });
  }

  return (
    <section className="card">
      <h2>Circuit breakers</h2>
      <p className="muted">
        An open breaker stops new exposure in its scope; copies still follow leaders out of
        positions.
      </p>
      {list.isLoading && <p>Loading…</p>}
      {list.error && (
        <p role="alert" className="error">
          {list.error.message}
        </p>
      )}
      {list.data && list.data.length === 0 && <p>No breakers have been opened.</p>}
      {list.data && list.data.length > 0 && (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Scope</th>
                <th scope="col">Reason</th>
                <th scope="col">Opened</th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              {list.data.map((b) => (
                <tr key={b.id}>
                  <td>
                    {b.scope}: {b.scopeKey}
                  </td>
                  <td>
                    {b.reason} <span className="muted">({b.openedBy})</span>
                  </td>
                  <td>{dateTime(b.openedAt)}</td>
                  <td>
                    {b.closedAt ? (
                      `closed ${dateTime(b.closedAt)}`
                    ) : canChange ? (
                      <button
                        type="button"
                        onClick={() => close.mutate({ id: b.id })}
                        disabled={close.isPending}
                      >
                        Close
                      </button>
                    ) : (
                      "open"
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {canChange && (
        <form className="toolbar" onSubmit={onOpen}>
          <label>
            Scope
            <select value={scope} onChange={(e) => setScope(e.target.value as typeof scope)}>
              <option value="global">Global</option>
              <option value="leader">Leader (id)</option>
              <option value="instrument">Instrument (symbol)</option>
              <option value="broker">Broker (name)</option>
            </select>
          </label>
          {scope !== "global" && (
            <label>
              Key
              <input name="key" required />
            </label>
          )}
          <label>
            Reason
            <input name="reason" required minLength={3} />
          </label>
          <button type="submit" disabled={open.isPending}>
            Open breaker
          </button>
          {open.error && (
            <p role="alert" className="error">
              {open.error.message}
            </p>
          )}
        </form>
      )}
    </section>
  );
}
