export default function Loading() {
  return (
    <section aria-busy="true" role="status">
      <h1>Leaders</h1>
      <p className="muted">Loading leaders…</p>
      <div className="skeleton" style={{ height: "16rem" }} />
    </section>
  );
}
