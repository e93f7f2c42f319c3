"use client";
import { useMutation } from "@tanstack/react-query";
import { useCallback, useRef, useState, type FormEvent, type ReactNode } from "react";
import { useTRPC } from "./trpc";

/** What requireStepUp puts in a refusal (server/auth/step-up.ts). */
export const STEP_UP_REQUIRED = "STEP_UP_REQUIRED";

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

  function onCancel() {
    setOpen(false);
    waiting.current?.reject(new Error("Cancelled: the action needs your second factor."));
  }

  const dialog = open ? (
    <div role="dialog" aria-modal="true" aria-labelledby="step-up-title" className="card">
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
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
      </form>
    </div>
  ) : null;
  return { run, dialog };
}
