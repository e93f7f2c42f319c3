"use client";
import { startAuthentication } from "@simplewebauthn/browser";
import { useMutation } from "@tanstack/react-query";
import { useCallback, useRef, useState, type FormEvent, type ReactNode } from "react";
import { useTRPC } from "./trpc";

/** What requireStepUp puts in a refusal (server/auth/step-up.ts). */
export const STEP_UP_REQUIRED = "STEP_UP_REQUIRED";

/** Runs a mutation through step-up; a cancelled dialog or a refusal already shown is no crash. */
export function quietly(p: Promise<unknown>): void {
  p.catch(() => undefined);
}

export function isStepUpRequired(err: unknown): boolean {
  const data = (err as { data?: { reasonCode?: unknown } } | null)?.data;
  return data?.reasonCode === STEP_UP_REQUIRED;
}

/**
 * Step-up for a high-risk action (docs/adr/0050): `run(action)` calls the action; when the
 * server answers STEP_UP_REQUIRED, a "confirm with your code" dialog opens, and once the code
 * is accepted the action is retried. Render `dialog` somewhere in the component.
 */
export function useStepUp(): {
  run: <T>(action: () => Promise<T>) => Promise<T>;
  dialog: ReactNode;
} {
  const trpc = useTRPC();
  const stepUp = useMutation(trpc.security.stepUp.mutationOptions());
  const passkeyOptions = useMutation(trpc.security.stepUpPasskeyOptions.mutationOptions());
  const stepUpPasskey = useMutation(trpc.security.stepUpPasskey.mutationOptions());
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const waiting = useRef<{ resolve: () => void; reject: (e: unknown) => void } | null>(null);

  const run = useCallback(async <T,>(action: () => Promise<T>): Promise<T> => {
    try {
      return await action();
    } catch (err) {
      if (!isStepUpRequired(err)) throw err;
      await new Promise<void>((resolve, reject) => {
        waiting.current = { resolve, reject };
        setError(null);
        setOpen(true);
      });
      return action();
    }
  }, []);

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setError(null);
    try {
      await stepUp.mutateAsync({ code: String(new FormData(e.currentTarget).get("code") ?? "") });
      setOpen(false);
      waiting.current?.resolve();
    } catch (err) {
      setError(err instanceof Error ? err.message : "That code did not work.");
    }
  }

  async function onPasskey() {
    setError(null);
    try {
      const optionsJSON = await passkeyOptions.mutateAsync();
      const answer = await startAuthentication({ optionsJSON });
      await stepUpPasskey.mutateAsync({ response: answer as never });
      setOpen(false);
      waiting.current?.resolve();
    } catch (err) {
      setError(
        err instanceof Error && !/NotAllowed|abort/i.test(err.name)
          ? err.message
          : "The passkey was not used (cancelled or not available here).",
      );
    }
  }

  function onCancel() {
    setOpen(false);
    waiting.current?.reject(new Error("Cancelled: the action needs your second factor."));
  }

  const dialog = open ? (
    // Fixed in view (wherever the form that asked sits), and narrow enough for a 390 px phone.
    <div
      role="dialog"
      aria-modal="true"
      aria-labelledby="step-up-title"
      className="card"
      style={{
        position: "fixed",
        top: "15vh",
        left: "50%",
        transform: "translateX(-50%)",
        width: "min(92vw, 26rem)",
        zIndex: 50,
        boxShadow: "0 8px 32px rgba(0,0,0,0.35)",
      }}
    >
      <form onSubmit={onSubmit} className="form" noValidate>
        <h2 id="step-up-title">Confirm it&apos;s you</h2>
        <p>Enter a code from your authenticator app (or a recovery code) to continue.</p>
        <label>
          Code
          <input name="code" autoComplete="one-time-code" required autoFocus />
        </label>
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        <button type="submit" disabled={stepUp.isPending}>
          Confirm
        </button>{" "}
        <button
          type="button"
          className="secondary"
          onClick={() => void onPasskey()}
          disabled={passkeyOptions.isPending || stepUpPasskey.isPending}
        >
          Use a passkey
        </button>{" "}
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
      </form>
    </div>
  ) : null;
  return { run, dialog };
}
