"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { FormMessage } from "./form-error";
import { money } from "./format";
import { isStepUpRequired, quietly, useStepUp } from "./second-factor-dialog";
import { useTRPC } from "./trpc";

/**
 * Broker accounts: each one's broker, mode and sync state; connect an Alpaca account with
 * its API key (checked at Alpaca before it is saved); disconnect; for a leader, make one the
 * trading account. The secret goes to the server once and is never shown again.
 */

const SYNC_WORDS: Record<string, string> = {
  ok: "In sync",
  refused: "Alpaca refuses orders",
  error: "Cannot reach the broker",
  disconnected: "Disconnected",
};

export function syncWords(state: string): string {
  return SYNC_WORDS[state] ?? state;
}

function brokerName(b: string): string {
  return b === "paper" ? "Tandem paper" : b === "alpaca" ? "Alpaca" : b;
}

export function BrokerAccounts({ isLeader }: { isLeader: boolean }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const accounts = useQuery({ ...trpc.brokers.mine.queryOptions(), refetchInterval: 10_000 });
  const [mode, setMode] = useState<"paper" | "live">("paper");
  const [keyId, setKeyId] = useState("");
  const [secret, setSecret] = useState("");
  const [label, setLabel] = useState("");
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const refresh = () => qc.invalidateQueries({ queryKey: trpc.brokers.mine.queryKey() });
  // Connecting and disconnecting are step-up actions (docs/adr/0050).
  const { run, dialog } = useStepUp();
  const failed = (e: { message: string }) => {
    if (!isStepUpRequired(e)) setMsg({ ok: false, text: e.message });
  };
  const connect = useMutation(
    trpc.brokers.connect.mutationOptions({
      onSuccess: async (r) => {
        setKeyId("");
        setSecret("");
        setLabel("");
        setMsg({
          ok: true,
          text: `Connected. Alpaca reports ${money(r.buyingPower, r.currency)} of buying power.`,
        });
        await refresh();
      },
      // The secret stays in the field only until the person retypes it.
      onError: failed,
    }),
  );
  const disconnect = useMutation(
    trpc.brokers.disconnect.mutationOptions({
      onSuccess: async () => {
        setMsg({ ok: true, text: "Disconnected. Its API key is deleted from Tandem." });
        await refresh();
      },
      onError: failed,
    }),
  );
  const lead = useMutation(
    trpc.brokers.useForLeading.mutationOptions({
      onSuccess: async () => {
        setMsg({ ok: true, text: "This is now your trading account: followers copy it." });
        await refresh();
      },
      onError: (e) => setMsg({ ok: false, text: e.message }),
    }),
  );

  function submit(e: FormEvent) {
    e.preventDefault();
    setMsg(null);
    if (!keyId.trim()) return setMsg({ ok: false, text: "API key ID: paste it from Alpaca." });
    if (!secret.trim()) return setMsg({ ok: false, text: "Secret key: paste it from Alpaca." });
    const input = {
      broker: "alpaca" as const,
      mode,
      keyId: keyId.trim(),
      secret: secret.trim(),
      ...(label.trim() ? { label: label.trim() } : {}),
    };
    quietly(run(() => connect.mutateAsync(input)));
  }

  return (
    <div className="stack">
      {dialog}
      <section className="card" aria-labelledby="accounts-h">
        <h2 id="accounts-h" style={{ marginTop: 0 }}>
          Your broker accounts
        </h2>
        {accounts.isPending ? (
          <p className="muted">Loading…</p>
        ) : accounts.isError ? (
          <p className="error">Could not load your accounts: {accounts.error.message}</p>
        ) : (
          <div className="table-wrap">
            <table data-testid="broker-accounts">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Broker</th>
                  <th>Mode</th>
                  <th>API key</th>
                  <th>Cash</th>
                  <th>Sync</th>
                  <th>Used by</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {accounts.data.map((a) => (
                  <tr key={a.id} data-testid={`account-${a.broker}`}>
                    <td>{a.label}</td>
                    <td>{brokerName(a.broker)}</td>
                    <td>
                      <span className="badge">{a.mode}</span>
                    </td>
                    <td>{a.keyId ?? "—"}</td>
                    <td>{money(a.cash, a.currency)}</td>
                    <td>
                      <span data-testid="sync-state">{syncWords(a.syncState)}</span>
                      {a.syncProblem ? <div className="hint">{a.syncProblem}</div> : null}
                      {a.paused && !a.syncProblem ? (
                        <div className="hint">New positions paused: {a.paused}</div>
                      ) : null}
                    </td>
                    <td>
                      {a.isLeaderAccount
                        ? "Your trading account"
                        : a.liveCopies
                          ? `${a.liveCopies} cop${a.liveCopies === 1 ? "y" : "ies"}`
                          : "—"}
                    </td>
                    <td>
                      {a.broker !== "paper" && a.connected ? (
                        <div className="toolbar" style={{ margin: 0 }}>
                          {isLeader && !a.isLeaderAccount ? (
                            <button
                              type="button"
                              className="secondary"
                              disabled={lead.isPending}
                              onClick={() => {
                                setMsg(null);
                                lead.mutate({ id: a.id });
                              }}
                            >
                              Trade from this account
                            </button>
                          ) : null}
                          <button
                            type="button"
                            className="danger"
                            disabled={disconnect.isPending}
                            onClick={() => {
                              setMsg(null);
                              quietly(run(() => disconnect.mutateAsync({ id: a.id })));
                            }}
                          >
                            Disconnect
                          </button>
                        </div>
                      ) : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <FormMessage message={msg?.text} ok={msg?.ok} />
      </section>

      <section className="card" aria-labelledby="connect-h">
        <h2 id="connect-h" style={{ marginTop: 0 }}>
          Connect an Alpaca account
        </h2>
        <p className="muted">
          Create an API key in Alpaca&apos;s dashboard (a paper account is free). Tandem checks the
          account at Alpaca before saving it, stores the secret encrypted, and never shows it again.
        </p>
        <form onSubmit={submit} className="form" noValidate aria-label="Connect an Alpaca account">
          <fieldset>
            <legend>Mode</legend>
            <label>
              <input
                type="radio"
                name="mode"
                value="paper"
                checked={mode === "paper"}
                onChange={() => setMode("paper")}
              />{" "}
              Paper (simulated money)
            </label>
            <label>
              <input
                type="radio"
                name="mode"
                value="live"
                checked={mode === "live"}
                onChange={() => setMode("live")}
              />{" "}
              Live (real money)
            </label>
          </fieldset>
          <label>
            API key ID
            <input
              name="keyId"
              autoComplete="off"
              spellCheck={false}
              value={keyId}
              onChange={(e) => setKeyId(e.target.value)}
              placeholder="PK…"
            />
          </label>
          <label>
            Secret key
            <input
              name="secret"
              type="password"
              autoComplete="off"
              value={secret}
              onChange={(e) => setSecret(e.target.value)}
            />
          </label>
          <label>
            Name (optional)
            <input
              name="label"
              value={label}
              onChange={(e) => setLabel(e.target.value)}
              placeholder={`Alpaca ${mode}`}
            />
          </label>
          <button type="submit" disabled={connect.isPending}>
            {connect.isPending ? "Checking at Alpaca…" : "Connect"}
          </button>
        </form>
      </section>
    </div>
  );
}

/** For the copy flow: which of the caller's connected accounts a copy trades in. */
export function AccountChooser({
  value,
  onChange,
}: {
  value: string | undefined;
  onChange: (id: string | undefined) => void;
}) {
  const trpc = useTRPC();
  const accounts = useQuery(trpc.brokers.mine.queryOptions());
  const usable = (accounts.data ?? []).filter((a) => a.connected && !a.isLeaderAccount);
  if (usable.length < 2) return null;
  return (
    <label>
      Copy into account
      <select
        name="brokerAccountId"
        value={value ?? usable[0]!.id}
        onChange={(e) => onChange(e.target.value)}
      >
        {usable.map((a) => (
          <option key={a.id} value={a.id}>
            {a.label} — {brokerName(a.broker)} {a.mode} ({money(a.cash, a.currency)})
          </option>
        ))}
      </select>
    </label>
  );
}

/** For the dashboard: each account's broker, mode and sync state in one line. */
export function BrokerAccountsSummary() {
  const trpc = useTRPC();
  const accounts = useQuery({ ...trpc.brokers.mine.queryOptions(), refetchInterval: 15_000 });
  if (!accounts.data?.length) return null;
  return (
    <section className="card" aria-labelledby="accts-h" data-testid="accounts-summary">
      <h2 id="accts-h" style={{ marginTop: 0 }}>
        Accounts
      </h2>
      <ul>
        {accounts.data
          .filter((a) => a.connected)
          .map((a) => (
            <li key={a.id}>
              {a.label}: {brokerName(a.broker)}, <span className="badge">{a.mode}</span>,{" "}
              {syncWords(a.syncState)}
              {a.syncProblem ? ` — ${a.syncProblem}` : ""}
            </li>
          ))}
      </ul>
      <a href="/accounts">Manage accounts</a>
    </section>
  );
}
