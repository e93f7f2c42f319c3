"use client";

export default function ErrorPage({
  error,
  reset,
}: {
  error: Error & { digest?: string };
  reset: () => void;
}) {
  return (
    <section className="card" role="alert">
      <h1>Something went wrong</h1>
      <p>
        This page could not be loaded. Nothing was changed. Try again; if it keeps happening, tell
        support the reference below.
      </p>
      {error.digest && <p className="muted">Reference: {error.digest}</p>}
      <button type="button" onClick={reset}>
        Try again
      </button>
    </section>
  );
}
