import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { PortfolioView } from "@/components/portfolio";
import { serverCaller } from "@/server/api/server-caller";
import { getViewer } from "@/server/auth/session";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Portfolio" };

export default async function PortfolioPage() {
  const viewer = await getViewer();
  if (!viewer) redirect("/signin?next=/portfolio");
  const api = await serverCaller();
  const p = await api.portfolio.summary();
  return (
    <section className="stack">
      <h1>Portfolio</h1>
      {p ? (
        <PortfolioView initial={p} />
      ) : (
        <p className="card" role="status">
          You have no account yet. <Link href="/leaders">Find a leader to copy</Link> and your
          account opens with paper money.
        </p>
      )}
    </section>
  );
}
