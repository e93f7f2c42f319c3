"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";
import { money, signClass, STATUS_TEXT } from "./format";
import { FundsPanel } from "./funds-panel";
import { HealthLine } from "./health-line";
import { AccountSummary, type Portfolio } from "./portfolio";
import { Ago } from "./time";
import { useTRPC } from "./trpc";

type Copies = inferRouterOutputs<AppRouter>["copies"]["mine"];

export function StatusBadge({ status }: { status: string }) {
  const cls = status === "active" ? "good" : status === "paused" ? "warn" : "bad";
  return (
    <span className={`badge ${cls}`} data-testid="copy-status">
      {STATUS_TEXT[status] ?? status}
    </span>
  );
}

/** The follower's copies, refreshed every few seconds while the page is open. */
export function Dashboard({
  initial,
  portfolio,
}: {
  initial: Copies;
  portfolio: Portfolio | null;
}) {
  const trpc = useTRPC();
  const account = useQuery({
    ...trpc.portfolio.summary.queryOptions(),
    initialData: portfolio,
    refetchInterval: 3_000,
  });
  const copies = useQuery({
    ...trpc.copies.mine.queryOptions(),
    initialData: initial,
    refetchInterval: 3_000,
  });
  const list = copies.data;
  return (
    <div className="stack">
      {account.data && (
        <>
          <AccountSummary p={account.data} />
          <p style={{ margin: 0 }}>
            <Link href="/portfolio">
              All {account.data.positions.length} position
              {account.data.positions.length === 1 ? "" : "s"} in your account
            </Link>
          </p>
        </>
      )}
      {copies.isError && (
        <p role="alert" className="error">
          Live updates failed; showing the last known numbers. Retrying…
        </p>
      )}
      {list.length === 0 ? (
        <section className="card" role="status">
          <h2 style={{ marginTop: 0 }}>No copies yet</h2>
          <p>
            Pick a leader, choose an amount and your limits, and their trades are copied into your
            account. <Link href="/leaders">Browse leaders</Link>
          </p>
        </section>
      ) : (
        <div className="table-wrap">
          <table data-testid="copies-table">
            <thead>
              <tr>
                <th scope="col">Leader</th>
                <th scope="col">Health</th>
                <th scope="col" className="num hide-sm">
                  Amount
                </th>
                <th scope="col" className="num">
                  P&amp;L
                </th>
                <th scope="col" className="hide-sm">
                  Last copied
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((c) => (
                <tr key={c.id}>
                  <td>
                    <Link href={`/copies/${c.id}`}>{c.leader.name}</Link>{" "}
                    <StatusBadge status={c.status} />
                  </td>
                  <td data-testid="copy-health">
                    <HealthLine health={c.healthLine} referenceCapital={c.referenceCapital} />
                  </td>
                  <td className="num hide-sm">{money(c.allocation ?? c.referenceCapital)}</td>
                  <td className={`num ${signClass(c.pnl.total)}`}>
                    {money(c.pnl.total, "USD", { sign: true })}
                  </td>
                  <td className="hide-sm">
                    <Ago at={c.lastReplicatedAt} asOf={c.asOf} never="no trades yet" />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <p className="muted" style={{ fontSize: "0.85rem" }} aria-live="polite">
        Updates every 3 seconds{copies.isFetching ? " · refreshing…" : ""}.
      </p>
      <FundsPanel />
    </div>
  );
}
