export default function Loading() {
  return (
    <section aria-busy="true" role="status" className="stack">
      <h1>Leader console</h1>
      <p className="muted">Loading your account…</p>
      <div className="skeleton" style={{ height: "12rem" }} />
    </section>
  );
}
