"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { formErrors, type FormErrors } from "./errors";
import { FieldError, fieldProps, FormMessage } from "./form-error";
import { quietly, useStepUp } from "./second-factor-dialog";
import { When } from "./time";
import { useTRPC } from "./trpc";

/** Open and close circuit breakers; support sees them, only admins change them. */
export function AdminBreakers({ canChange }: { canChange: boolean }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const list = useQuery({ ...trpc.admin.breakers.queryOptions(), refetchInterval: 5000 });
  const invalidate = () => qc.invalidateQueries({ queryKey: trpc.admin.breakers.queryKey() });
  const open = useMutation(trpc.admin.openBreaker.mutationOptions({ onSuccess: invalidate }));
  const close = useMutation(trpc.admin.closeBreaker.mutationOptions({ onSuccess: invalidate }));
  const choices = useQuery({ ...trpc.admin.breakerChoices.queryOptions(), enabled: canChange });
  const [scope, setScope] = useState<"global" | "leader" | "instrument" | "broker">("instrument");
  const [key, setKey] = useState("");
  const [reason, setReason] = useState("");
  const [confirming, setConfirming] = useState(false);
  const [errors, setErrors] = useState<FormErrors>({ fields: {}, form: null });
  const [done, setDone] = useState<string | null>(null);
  // Opening and closing a breaker are step-up actions: "Confirm it's you", then the retry.
  const { run, dialog } = useStepUp();
  const c = choices.data;
  const options: Array<{ value: string; label: string }> =
    scope === "leader"
      ? (c?.leaders ?? []).map((l) => ({ value: l.id, label: `${l.name} (@${l.handle})` }))
      : scope === "instrument"
        ? (c?.instruments ?? []).map((i) => ({ value: i.symbol, label: `${i.symbol} — ${i.name}` }))
        : scope === "broker"
          ? (c?.brokers ?? []).map((b) => ({ value: b, label: b }))
          : [];
  const target =
    scope === "global" ? "everything" : (options.find((o) => o.value === key)?.label ?? "");

  function onOpen(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setDone(null);
    const fields: Record<string, string> = {};
    if (scope !== "global" && !key) fields.key = `Choose the ${scope} to halt.`;
    if (reason.trim().length < 3) fields.reason = "Say why, in at least 3 characters.";
    setErrors({ fields, form: null });
    if (Object.keys(fields).length === 0) setConfirming(true);
  }
  async function confirm() {
    const input = { scope, key: scope === "global" ? "*" : key, reason: reason.trim() };
    try {
      const r = await run(() => open.mutateAsync(input));
      setConfirming(false);
      setReason("");
      setDone(
        r.alreadyOpen ? `A breaker on ${target} was already open.` : `Breaker opened on ${target}.`,
      );
    } catch (err) {
      setConfirming(false);
      setErrors(formErrors(err, { key: "Key", reason: "Reason", scope: "Scope" }));
    }
  }
  async function closeOne(id: string) {
    setDone(null);
    try {
      await run(() => close.mutateAsync({ id }));
      setDone("Breaker closed.");
    } catch (err) {
      setErrors(formErrors(err));
    }
  }
  const nameOf = (scopeName: string, k: string) =>
    scopeName === "leader"
      ? (c?.leaders.find((l) => l.id === k)?.name ?? k)
      : scopeName === "global"
        ? "everything"
        : k;

  return (
    <section className="card">
      {dialog}
      <h2>Circuit breakers</h2>
      <p className="muted">
        An open breaker stops new exposure in its scope; copies still follow leaders out of
        positions.
      </p>
      {list.isLoading && <p>Loading…</p>}
      {list.error && (
        <p role="alert" className="error">
          {formErrors(list.error).form}
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
                    {b.scope}: {nameOf(b.scope, b.scopeKey)}
                  </td>
                  <td>
                    {b.reason} <span className="muted">({b.openedBy})</span>
                  </td>
                  <td>
                    <When at={b.openedAt} />
                  </td>
                  <td>
                    {b.closedAt ? (
                      <>
                        closed <When at={b.closedAt} />
                      </>
                    ) : canChange ? (
                      <button
                        type="button"
                        onClick={() => quietly(closeOne(b.id))}
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
        <form className="stack" onSubmit={onOpen} noValidate aria-label="Open a breaker">
          <div className="toolbar" style={{ margin: 0 }}>
            <label>
              Scope
              <select
                value={scope}
                onChange={(e) => {
                  setScope(e.target.value as typeof scope);
                  setKey("");
                  setConfirming(false);
                }}
              >
                <option value="global">Global (everything)</option>
                <option value="leader">One leader</option>
                <option value="instrument">One instrument</option>
                <option value="broker">One broker</option>
              </select>
            </label>
            {scope !== "global" && (
              <label htmlFor="breaker-key">
                {scope === "leader" ? "Leader" : scope === "instrument" ? "Instrument" : "Broker"}
                <select
                  {...fieldProps("breaker-key", errors.fields.key)}
                  value={key}
                  onChange={(e) => {
                    setKey(e.target.value);
                    setConfirming(false);
                  }}
                >
                  <option value="">Choose…</option>
                  {options.map((o) => (
                    <option key={o.value} value={o.value}>
                      {o.label}
                    </option>
                  ))}
                </select>
                <FieldError id="breaker-key" message={errors.fields.key} />
              </label>
            )}
            <label htmlFor="breaker-reason">
              Reason
              <input
                {...fieldProps("breaker-reason", errors.fields.reason)}
                value={reason}
                onChange={(e) => setReason(e.target.value)}
              />
              <FieldError id="breaker-reason" message={errors.fields.reason} />
            </label>
            <button type="submit" disabled={open.isPending}>
              Open breaker…
            </button>
          </div>
          {confirming && (
            <div className="note row" role="alertdialog" aria-label="Confirm the breaker">
              <span>
                Halt new exposure on <strong>{target}</strong>? Copies keep following leaders out of
                positions.
              </span>
              <button
                type="button"
                className="danger"
                onClick={() => quietly(confirm())}
                disabled={open.isPending}
              >
                Yes, open the breaker
              </button>
              <button type="button" className="secondary" onClick={() => setConfirming(false)}>
                Cancel
              </button>
            </div>
          )}
          <FormMessage message={errors.form} />
          <FormMessage message={done} ok />
        </form>
      )}
    </section>
  );
}
