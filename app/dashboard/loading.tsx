export default function Loading() {
  return (
    <section aria-busy="true" role="status" className="stack">
      <h1>Your copies</h1>
      <p className="muted">Loading your copies…</p>
      <div className="skeleton" style={{ height: "10rem" }} />
    </section>
  );
}
