import Link from "next/link";
import { Sparkline } from "@/components/charts";
import { drawdown, pct } from "@/components/format";
import { serverCaller } from "@/server/api/server-caller";

export const dynamic = "force-dynamic";

const STEPS = [
  {
    title: "Pick a leader by the numbers",
    text: "Returns after fees by period, the deepest fall, how often they trade and what in: computed one way for everyone, nothing boosted or paid for.",
  },
  {
    title: "Set your amount and your limits",
    text: "A copy stop-loss, a cap per instrument, a daily loss limit. We show you what each one means in money before you agree.",
  },
  {
    title: "Watch every trade, and why",
    text: "Each of the leader's trades becomes a sized order in your own account, or is skipped or reduced with the reason in plain words.",
  },
];

export default async function Home() {
  const api = await serverCaller();
  const featured = await api.leaders
    .list({ sort: "return_3m", copyableOnly: true, pageSize: 3 })
    .then((r) => r.items)
    .catch(() => []);
  return (
    <div className="stack">
      <section className="hero">
        <h1>Copy experienced traders, on your terms.</h1>
        <p className="muted" style={{ maxWidth: "42rem" }}>
          Browse leaders with honest, fee-inclusive numbers. Choose how much to allocate, set your
          own limits, and see every copied, reduced or skipped trade with its reason.
        </p>
        <p className="row">
          <Link href="/leaders" className="button">
            Browse leaders
          </Link>
          <Link href="/signup">Open a paper account</Link>
        </p>
      </section>

      <section aria-labelledby="how">
        <h2 id="how">How it works</h2>
        <ol className="split steps">
          {STEPS.map((s) => (
            <li key={s.title} className="card">
              <strong>{s.title}</strong>
              <p className="muted" style={{ margin: "0.4rem 0 0" }}>
                {s.text}
              </p>
            </li>
          ))}
        </ol>
      </section>

      {featured.length > 0 && (
        <section aria-labelledby="featured">
          <h2 id="featured">Leaders you can copy now</h2>
          <p className="muted" style={{ marginTop: 0 }}>
            The three best 3-month returns among leaders open to copying. Past returns do not
            predict future ones.
          </p>
          <div className="split">
            {featured.map((l) => (
              <article key={l.id} className="card stack" style={{ gap: "0.4rem" }}>
                <Link href={`/leaders/${l.handle}`}>
                  <strong>{l.displayName}</strong>
                </Link>
                <span className="muted">{l.strategy}</span>
                <Sparkline points={l.spark} label={`${l.displayName}: growth, last 90 days`} />
                <span>
                  3 months {pct(l.return3m)} · max drawdown {drawdown(l.maxDrawdown)} ·{" "}
                  {l.riskScore === null ? "risk: not enough data" : `risk ${l.riskScore}/10`}
                </span>
              </article>
            ))}
          </div>
        </section>
      )}

      <section className="note" aria-labelledby="risk-warning">
        <h2 id="risk-warning" style={{ marginTop: 0 }}>
          Risk warning
        </h2>
        <p style={{ margin: 0 }}>
          Copy trading is trading: you can lose some or all of the money you put into a copy, and a
          leader&apos;s past results say nothing certain about the future. Your limits reduce losses
          but cannot remove them; prices can move past a stop before it is filled. Only copy with
          money you can afford to lose.
        </p>
      </section>
    </div>
  );
}
