import Link from "next/link";

export default function Home() {
  return (
    <section className="hero">
      <h1>Copy experienced traders, on your terms.</h1>
      <p className="muted">
        Browse leaders with honest, fee-inclusive numbers. Choose how much to allocate, set your own
        limits, and see every copied, reduced or skipped trade with its reason.
      </p>
      <p>
        <Link href="/leaders" className="button">
          Browse leaders
        </Link>
      </p>
    </section>
  );
}
