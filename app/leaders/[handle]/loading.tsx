export default function Loading() {
  return (
    <section aria-busy="true" role="status" className="stack">
      <p className="muted">Loading the leader&apos;s numbers…</p>
      <div className="skeleton" style={{ height: "3rem" }} />
      <div className="skeleton" style={{ height: "16rem" }} />
    </section>
  );
}
