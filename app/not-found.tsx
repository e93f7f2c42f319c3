import Link from "next/link";

export default function NotFound() {
  return (
    <section className="card" role="alert">
      <h1>Not found</h1>
      <p>There is nothing here, or it is not yours to see.</p>
      <p>
        <Link href="/leaders">Browse leaders</Link> · <Link href="/dashboard">Your dashboard</Link>
      </p>
    </section>
  );
}
