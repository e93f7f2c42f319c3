"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { formErrors } from "./errors";
import { dateTime } from "./format";
import { isStepUpRequired, quietly, useStepUp } from "./second-factor-dialog";
import { useTRPC } from "./trpc";

type Created = { keyId: string; secret: string; scopes: string[] };

/**
 * The leader console's strategy API keys: create one (a high-risk action: the server asks for
 * a fresh second factor), see its secret once, list and revoke keys, allow limit orders.
 * Lists, not tables, so that a key id and a secret wrap on a 390 px phone instead of
 * scrolling sideways.
 */
export function ApiKeys() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const q = useQuery(trpc.apiKeys.list.queryOptions());
  const refresh = () => qc.invalidateQueries({ queryKey: trpc.apiKeys.list.queryKey() });
  const [label, setLabel] = useState("");
  const [scopes, setScopes] = useState({ trade: true, read: true });
  const [created, setCreated] = useState<Created | null>(null);
  const [msg, setMsg] = useState<string | null>(null);
  const chosen = () => (["trade", "read"] as const).filter((s) => scopes[s]);

  const create = useMutation(
    trpc.apiKeys.create.mutationOptions({
      onSuccess: (k) => {
        setCreated({ keyId: k.keyId, secret: k.secret, scopes: k.scopes });
        setLabel("");
        void refresh();
      },
      onError: (e) => {
        // "Confirm it's you" answers this one; the key is created once the code is accepted.
        if (isStepUpRequired(e)) return;
        setMsg(formErrors(e).form ?? Object.values(formErrors(e).fields)[0] ?? null);
      },
    }),
  );
  const revoke = useMutation(
    trpc.apiKeys.revoke.mutationOptions({
      onSuccess: () => void refresh(),
      onError: (e) => setMsg(formErrors(e).form),
    }),
  );
  const limits = useMutation(
    trpc.apiKeys.setLimitOrders.mutationOptions({
      onSuccess: () => void refresh(),
      onError: (e) => setMsg(formErrors(e).form),
    }),
  );
  // Creating a key is a step-up action: "Confirm it's you", then the same create again.
  const { run, dialog } = useStepUp();
  const submit = () => {
    setMsg(null);
    const input = { label, scopes: chosen() };
    quietly(run(() => create.mutateAsync(input)));
  };

  return (
    <section className="card stack" aria-labelledby="apikeys">
      <h2 id="apikeys" style={{ marginTop: 0 }}>
        Strategy API keys
      </h2>
      <p className="hint" style={{ margin: 0 }}>
        A key lets your own program place orders through the signed API, the same way as the trade
        ticket; your followers copy its fills. It works without your password or second factor, so
        keep the secret safe and revoke a key you no longer use. The API is described in{" "}
        <code>docs/openapi/strategy-api.yaml</code>.
      </p>

      {created && (
        <div
          role="status"
          className="card stack"
          aria-label="New API key"
          style={{ overflowWrap: "anywhere" }}
        >
          <strong>Copy the secret now: it is shown only this once.</strong>
          <div>
            Key id: <code data-testid="new-key-id">{created.keyId}</code>
          </div>
          <div>
            Secret: <code data-testid="new-key-secret">{created.secret}</code>
          </div>
          <div className="muted">Scopes: {created.scopes.join(", ")}</div>
          <div>
            <button type="button" onClick={() => setCreated(null)}>
              I have stored it
            </button>
          </div>
        </div>
      )}

      <form
        className="stack"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <label>
          Key name
          <input
            value={label}
            maxLength={60}
            placeholder="e.g. momentum bot"
            onChange={(e) => setLabel(e.target.value)}
          />
        </label>
        <fieldset style={{ border: 0, padding: 0, margin: 0 }}>
          <legend>Scopes</legend>
          <label style={{ display: "inline-flex", gap: "0.4rem", marginRight: "1rem" }}>
            <input
              type="checkbox"
              checked={scopes.trade}
              onChange={(e) => setScopes((s) => ({ ...s, trade: e.target.checked }))}
            />
            trade (place orders)
          </label>
          <label style={{ display: "inline-flex", gap: "0.4rem" }}>
            <input
              type="checkbox"
              checked={scopes.read}
              onChange={(e) => setScopes((s) => ({ ...s, read: e.target.checked }))}
            />
            read (orders, positions, account)
          </label>
        </fieldset>
        {msg && (
          <p role="alert" className="error">
            {msg}
          </p>
        )}
        <div>
          <button type="submit" disabled={create.isPending}>
            Create key
          </button>
        </div>
      </form>

      {dialog}

      {q.data && (
        <label style={{ display: "flex", gap: "0.5rem", alignItems: "flex-start" }}>
          <input
            type="checkbox"
            checked={q.data.limitOrders}
            disabled={limits.isPending}
            onChange={(e) => limits.mutate({ allowed: e.target.checked })}
          />
          <span>
            Allow limit orders through the API (market orders only otherwise). Followers always get
            market orders, placed when your limit order fills.
          </span>
        </label>
      )}

      {q.data && q.data.keys.length === 0 && <p className="muted">No API keys yet.</p>}
      {q.data && q.data.keys.length > 0 && (
        <ul
          aria-label="API keys"
          style={{ listStyle: "none", padding: 0, margin: 0 }}
          className="stack"
        >
          {q.data.keys.map((k) => (
            <li key={k.id} className="card" style={{ overflowWrap: "anywhere" }}>
              <div>
                <code>{k.keyId}</code> {k.label && <span>· {k.label}</span>}
              </div>
              <div className="muted" style={{ fontSize: "0.9rem" }}>
                {k.scopes.join(", ")} · created {dateTime(k.createdAt)} · last used{" "}
                {k.lastUsedAt ? dateTime(k.lastUsedAt) : "never"}
                {k.revokedAt ? ` · revoked ${dateTime(k.revokedAt)}` : ""}
              </div>
              {!k.revokedAt && (
                <button
                  type="button"
                  disabled={revoke.isPending}
                  aria-label={`Revoke ${k.keyId}`}
                  onClick={() => {
                    if (window.confirm(`Revoke ${k.keyId}? Programs using it stop at once.`))
                      revoke.mutate({ id: k.id });
                  }}
                >
                  Revoke
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
