"use client";
import { useMutation } from "@tanstack/react-query";
import { signIn } from "next-auth/react";
import { useRouter, useSearchParams } from "next/navigation";
import { useState, type FormEvent } from "react";
import { SECOND_FACTOR_PREFIX, SecondFactorSignIn } from "./second-factor-signin";
import { useHydrated } from "./time";
import { useTRPC } from "./trpc";

function safeNext(raw: string | null): string {
  // Only same-site paths: never let a crafted link bounce a signed-in user elsewhere.
  return raw && raw.startsWith("/") && !raw.startsWith("//") ? raw : "/leaders";
}

export function SignInForm() {
  const router = useRouter();
  const params = useSearchParams();
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  // Set when the password was right and a second factor must follow (docs/adr/0050).
  const [secondStep, setSecondStep] = useState<string | null>(null);
  // The button stays disabled until the page is hydrated: before that a click (or Enter)
  // would submit the form natively, as a GET with the e-mail and password in the URL, and
  // reload an empty sign-in page (an e2e run caught exactly that on a busy machine).
  const hydrated = useHydrated();

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setPending(true);
    setError(null);
    const res = await signIn("credentials", {
      email: String(form.get("email") ?? ""),
      password: String(form.get("password") ?? ""),
      redirect: false,
    });
    setPending(false);
    if (res?.error?.startsWith(SECOND_FACTOR_PREFIX)) {
      setSecondStep(res.error.slice(SECOND_FACTOR_PREFIX.length));
      return;
    }
    if (!res || res.error) {
      setError(
        res?.error && res.error !== "CredentialsSignin" ? res.error : "Wrong e-mail or password.",
      );
      return;
    }
    router.push(safeNext(params.get("next")));
    router.refresh();
  }

  if (secondStep)
    return (
      <SecondFactorSignIn
        pending={secondStep}
        onDone={() => {
          router.push(safeNext(params.get("next")));
          router.refresh();
        }}
      />
    );
  return (
    <form onSubmit={onSubmit} className="card form" noValidate>
      <h1>Sign in</h1>
      <label>
        E-mail
        <input name="email" type="email" autoComplete="email" required />
      </label>
      <label>
        Password
        <input name="password" type="password" autoComplete="current-password" required />
      </label>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <button type="submit" disabled={pending || !hydrated}>
        {pending ? "Signing in…" : "Sign in"}
      </button>
    </form>
  );
}

export function SignUpForm() {
  const trpc = useTRPC();
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const signUp = useMutation(trpc.auth.signUp.mutationOptions());
  // As for sign-in: no native submission (password in the URL) before hydration.
  const hydrated = useHydrated();

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const input = {
      displayName: String(form.get("displayName") ?? ""),
      email: String(form.get("email") ?? ""),
      password: String(form.get("password") ?? ""),
    };
    setError(null);
    try {
      await signUp.mutateAsync(input);
    } catch (err) {
      setError(err instanceof Error ? err.message : "Could not create the account.");
      return;
    }
    const res = await signIn("credentials", {
      email: input.email,
      password: input.password,
      redirect: false,
    });
    if (!res || res.error) {
      // The same words whether or not the e-mail already had an account (docs/adr/0012).
      setError(
        res?.status === 429 && res.error
          ? res.error
          : "We could not sign you in with this e-mail and password. If you already have an account, sign in with your password.",
      );
      return;
    }
    router.push("/leaders");
    router.refresh();
  }

  return (
    <form onSubmit={onSubmit} className="card form" noValidate>
      <h1>Create your account</h1>
      <label>
        Name
        <input name="displayName" autoComplete="name" required minLength={2} />
      </label>
      <label>
        E-mail
        <input name="email" type="email" autoComplete="email" required />
      </label>
      <label>
        Password <span className="muted">(at least 10 characters)</span>
        <input
          name="password"
          type="password"
          autoComplete="new-password"
          required
          minLength={10}
        />
      </label>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <button type="submit" disabled={signUp.isPending || !hydrated}>
        {signUp.isPending ? "Creating…" : "Create account"}
      </button>
    </form>
  );
}
