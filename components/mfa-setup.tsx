"use client";
import { startRegistration } from "@simplewebauthn/browser";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { quietly, useStepUp } from "./second-factor-dialog";
import { useTRPC } from "./trpc";

/**
 * The security page (docs/adr/0050): set up an authenticator app (secret as text and as an
 * otpauth link, first code confirms, ten recovery codes shown once) or a passkey. Leaders and
 * staff land here until they have a second factor; `next` is where they go afterwards.
 */
export function MfaSetup({ required, next }: { required: boolean; next?: string }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const router = useRouter();
  const status = useQuery(trpc.security.status.queryOptions());
  const begin = useMutation(trpc.security.beginTotp.mutationOptions());
  const confirm = useMutation(trpc.security.confirmTotp.mutationOptions());
  const regOptions = useMutation(trpc.security.passkeyRegistrationOptions.mutationOptions());
  const register = useMutation(trpc.security.registerPasskey.mutationOptions());
  const remove = useMutation(trpc.security.removeFactor.mutationOptions());
  // Removing a factor is a step-up action: "Confirm it's you" first, then the removal.
  const { run, dialog } = useStepUp();
  const [removed, setRemoved] = useState<string | null>(null);
  const [secret, setSecret] = useState<{ secret: string; uri: string } | null>(null);
  const [codes, setCodes] = useState<string[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const refresh = () => qc.invalidateQueries({ queryKey: trpc.security.status.queryKey() });

  async function onBegin() {
    setError(null);
    try {
      setSecret(await begin.mutateAsync());
    } catch (e) {
      setError(e instanceof Error ? e.message : "Could not start the set-up.");
    }
  }

  async function onConfirm(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setError(null);
    const code = String(new FormData(e.currentTarget).get("code") ?? "");
    try {
      const r = await confirm.mutateAsync({ code });
      setCodes(r.recoveryCodes);
      setSecret(null);
      await refresh();
    } catch (err) {
      setError(err instanceof Error ? err.message : "That code did not work.");
    }
  }

  async function onPasskey() {
    setError(null);
    try {
      const optionsJSON = await regOptions.mutateAsync();
      const response = await startRegistration({ optionsJSON });
      const r = await register.mutateAsync({ response: response as never, label: "Passkey" });
      if (r.recoveryCodes) setCodes(r.recoveryCodes);
      await refresh();
    } catch (err) {
      setError(
        err instanceof Error && !/NotAllowed|abort/i.test(err.name)
          ? err.message
          : "The passkey was not created (cancelled or not supported on this device).",
      );
    }
  }

  async function onRemove(which: { kind: "totp" } | { kind: "passkey"; id: string }, name: string) {
    setError(null);
    setRemoved(null);
    try {
      await run(() => remove.mutateAsync(which));
      setRemoved(`${name} removed.`);
      await refresh();
    } catch (err) {
      setError(err instanceof Error ? err.message : "It was not removed.");
    }
  }

  const s = status.data;
  const done = s && (s.totp || s.passkeys > 0);
  return (
    <section className="card form" aria-labelledby="mfa-title">
      <h1 id="mfa-title">Sign-in security</h1>
      {required && !done && (
        <p role="status" data-testid="mfa-required">
          Leaders, support and admins need a second factor before their console opens. Set up an
          authenticator app or a passkey below.
        </p>
      )}
      {s && (
        <ul data-testid="mfa-status">
          <li>Authenticator app: {s.totp ? "set up" : "not set up"}</li>
          <li>Passkeys: {s.passkeys}</li>
          <li>Recovery codes left: {s.recoveryCodesLeft}</li>
        </ul>
      )}
      {dialog}
      {s && (s.totp || s.passkeyList.length > 0) && (
        <ul data-testid="mfa-factors" aria-label="Your second factors">
          {s.totp && (
            <li>
              Authenticator app{" "}
              <button
                type="button"
                className="secondary"
                disabled={remove.isPending}
                onClick={() => quietly(onRemove({ kind: "totp" }, "Authenticator app"))}
              >
                Remove authenticator app
              </button>
            </li>
          )}
          {s.passkeyList.map((p) => (
            <li key={p.id} style={{ overflowWrap: "anywhere" }}>
              {p.label} (added {new Date(p.createdAt).toLocaleDateString()}){" "}
              <button
                type="button"
                className="secondary"
                disabled={remove.isPending}
                aria-label={`Remove passkey ${p.label}`}
                onClick={() => quietly(onRemove({ kind: "passkey", id: p.id }, p.label))}
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      {removed && <p role="status">{removed}</p>}
      {codes && (
        <div role="region" aria-label="Recovery codes" className="card">
          <h2>Your recovery codes</h2>
          <p>
            Each works once, if you lose your phone or passkey. Save them now: they are not shown
            again.
          </p>
          <ul data-testid="recovery-codes" style={{ fontFamily: "monospace" }}>
            {codes.map((c) => (
              <li key={c}>{c}</li>
            ))}
          </ul>
        </div>
      )}
      {s && !s.totp && !secret && (
        <button type="button" onClick={onBegin} disabled={begin.isPending}>
          Set up an authenticator app
        </button>
      )}
      {secret && (
        <form onSubmit={onConfirm} noValidate>
          <p>
            Add this key to your authenticator app (or open the{" "}
            <a href={secret.uri}>otpauth link</a> on your phone), then enter the code it shows.
          </p>
          <p>
            Key:{" "}
            <code data-testid="totp-secret" style={{ overflowWrap: "anywhere" }}>
              {secret.secret}
            </code>
          </p>
          <label>
            Code from the app
            <input name="code" inputMode="numeric" autoComplete="one-time-code" required />
          </label>
          <button type="submit" disabled={confirm.isPending}>
            Confirm
          </button>
        </form>
      )}
      <button
        type="button"
        onClick={onPasskey}
        disabled={regOptions.isPending || register.isPending}
      >
        Add a passkey
      </button>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {done && next && (
        <button type="button" onClick={() => router.push(next)}>
          Continue
        </button>
      )}
    </section>
  );
}
