"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import Link from "next/link";
import { useState } from "react";
import type { AppRouter } from "@/server/api/root";
import { formErrors } from "./errors";
import { FormMessage } from "./form-error";
import { money, pct, qty, signClass } from "./format";
import { TradeTicket } from "./trade-ticket";
import { useTRPC } from "./trpc";

export type Portfolio = NonNullable<inferRouterOutputs<AppRouter>["portfolio"]["summary"]>;
type Row = Portfolio["positions"][number];

/** Total equity, P&L and return: the three numbers a person checks first. */
export function AccountSummary({ p }: { p: Portfolio }) {
  return (
    <section className="grid" aria-label="Your account at a glance" data-testid="account-summary">
      <div className="card stat-card">
        <div className="label">Account value</div>
        <div className="value" data-testid="equity">
          {money(p.equity, p.currency)}
        </div>
        <div className="muted">
          {money(p.cash, p.currency)} cash + {money(p.positionsValue, p.currency)} in positions
        </div>
      </div>
      <div className="card stat-card">
        <div className="label">Profit and loss</div>
        <div className={`value ${signClass(p.pnl)}`} data-testid="account-pnl">
          {money(p.pnl, p.currency, { sign: true })}
        </div>
        <div className="muted">since you put in {money(p.invested, p.currency)}</div>
      </div>
      <div className="card stat-card">
        <div className="label">Return</div>
        <div className={`value ${signClass(p.returnPct)}`} data-testid="account-return">
          {pct(p.returnPct)}
        </div>
        <div className="muted">on the money put in</div>
      </div>
    </section>
  );
}

function OriginText({ r }: { r: Row }) {
  const o = r.origin;
  if (o.kind === "manual") return <>Your own trade</>;
  if (o.kind === "kept")
    return (
      <>
        Kept from your <Link href={`/copies/${o.copyId}`}>stopped copy of {o.leaderName}</Link>
      </>
    );
  return (
    <>
      <Link href={`/copies/${o.copyId}`}>Copy of {o.leaderName}</Link>
      {o.status === "paused" && <span className="muted"> (paused)</span>}
      {o.status === "closing" && <span className="muted"> (closing)</span>}
    </>
  );
}

/** Every position in the account with where it came from, its P&L and, for your own, a close. */
export function PortfolioView({ initial }: { initial: Portfolio }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const q = useQuery({
    ...trpc.portfolio.summary.queryOptions(),
    initialData: initial,
    refetchInterval: 3_000,
  });
  const p = q.data ?? initial;
  const ticket = useQuery({ ...trpc.portfolio.ticket.queryOptions(), refetchInterval: 3_000 });
  const [confirming, setConfirming] = useState<string | null>(null);
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const close = useMutation(
    trpc.portfolio.close.mutationOptions({
      onSuccess: async (r, v) => {
        setConfirming(null);
        setMsg({
          ok: true,
          text: `Order to ${r.side} ${qty(r.qty)} ${v.symbol} at market recorded; it is sent to your broker within seconds.`,
        });
        await qc.invalidateQueries({ queryKey: trpc.portfolio.summary.queryKey() });
      },
      onError: (e) => {
        setConfirming(null);
        setMsg({ ok: false, text: formErrors(e).form ?? Object.values(formErrors(e).fields)[0]! });
      },
    }),
  );
  return (
    <div className="stack">
      <AccountSummary p={p} />
      {q.isError && (
        <p role="alert" className="error">
          Live updates failed; showing the last known numbers.
        </p>
      )}
      <FormMessage message={msg?.text} ok={msg?.ok} />
      <section aria-labelledby="positions-h">
        <h2 id="positions-h">Positions</h2>
        {p.positions.length === 0 ? (
          <p className="card muted" role="status">
            No open positions. When a leader you copy trades, your share appears here.
          </p>
        ) : (
          <div className="table-wrap">
            <table data-testid="portfolio-table">
              <thead>
                <tr>
                  <th scope="col">Instrument</th>
                  <th scope="col">From</th>
                  <th scope="col" className="num">
                    Quantity
                  </th>
                  <th scope="col" className="num hide-sm">
                    Avg cost
                  </th>
                  <th scope="col" className="num hide-sm">
                    Value
                  </th>
                  <th scope="col" className="num">
                    P&amp;L
                  </th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {p.positions.map((r) => (
                  <tr key={r.key} data-testid={`holding-${r.symbol}`}>
                    <td>
                      <strong>{r.symbol}</strong> <span className="muted hide-sm">{r.name}</span>
                    </td>
                    <td>
                      <OriginText r={r} />
                    </td>
                    <td className="num">{qty(r.qty, { sign: true })}</td>
                    <td className="num hide-sm">{money(r.avgCost, r.currency)}</td>
                    <td className="num hide-sm">{money(r.marketValue, r.currency)}</td>
                    <td className={`num ${signClass(r.unrealized)}`}>
                      {money(r.unrealized, r.currency, { sign: true })}
                    </td>
                    <td>
                      {r.origin.kind === "copy" ? (
                        <span className="muted" style={{ fontSize: "0.85rem" }}>
                          managed by the copy
                        </span>
                      ) : !r.closable ? (
                        <span className="muted">order working</span>
                      ) : !r.marketOpen ? (
                        <span className="muted">market closed</span>
                      ) : confirming === r.symbol ? (
                        <span className="row" style={{ gap: "0.4rem" }}>
                          <button
                            type="button"
                            className="danger"
                            disabled={close.isPending}
                            onClick={() => close.mutate({ symbol: r.symbol })}
                          >
                            {r.qty.startsWith("-") ? "Buy back" : "Sell"}{" "}
                            {qty(r.qty.replace("-", ""))}
                          </button>
                          <button
                            type="button"
                            className="secondary"
                            onClick={() => setConfirming(null)}
                          >
                            Cancel
                          </button>
                        </span>
                      ) : (
                        <button
                          type="button"
                          className="secondary"
                          onClick={() => {
                            setMsg(null);
                            setConfirming(r.symbol);
                          }}
                          aria-label={`Close ${r.symbol}`}
                        >
                          Close…
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <p className="muted" style={{ fontSize: "0.85rem" }}>
          Values are what closing now would get: longs at the bid, shorts at the ask. Positions a
          running copy holds follow its leader; to change them, pause or stop the copy. What you
          keep or trade yourself belongs to no copy.
        </p>
      </section>
      <section aria-labelledby="trade-h" className="card">
        <h2 id="trade-h">Trade by hand</h2>
        <p className="muted" style={{ marginTop: 0 }}>
          Buy or sell in your own account. What you trade here belongs to no copy: your copies keep
          following their leaders, and you can sell only the units that are your own.
        </p>
        {ticket.data ? (
          <TradeTicket
            o={ticket.data}
            own
            onPlaced={async () => {
              await qc.invalidateQueries({ queryKey: trpc.portfolio.ticket.queryKey() });
              await qc.invalidateQueries({ queryKey: trpc.portfolio.summary.queryKey() });
            }}
          />
        ) : (
          <p className="muted" role="status">
            {ticket.isError ? "The trade ticket could not be loaded." : "Loading prices…"}
          </p>
        )}
      </section>
    </div>
  );
}
