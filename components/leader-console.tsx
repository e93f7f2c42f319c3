"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import Link from "next/link";
import { useState } from "react";
import type { AppRouter } from "@/server/api/root";
import { isCharge } from "@/server/domain/bookkeeping";
import { dateTime, money, qty, signClass, ORDER_STATUS } from "./format";
import { formErrors } from "./errors";
import { reasonWords } from "./reason-words";
import { ApiKeys } from "./api-keys";
import { TradeTicket } from "./trade-ticket";
import { useTRPC } from "./trpc";

type Overview = inferRouterOutputs<AppRouter>["leaderConsole"]["overview"];

export function LeaderConsole({ initial }: { initial: Overview }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const q = useQuery({
    ...trpc.leaderConsole.overview.queryOptions(),
    initialData: initial,
    refetchInterval: 2_000,
  });
  const o = q.data;
  const refresh = () => qc.invalidateQueries({ queryKey: trpc.leaderConsole.overview.queryKey() });

  const cancel = useMutation(
    trpc.leaderConsole.cancelOrder.mutationOptions({
      onSuccess: refresh,
      onError: (e) => setCancelMsg(formErrors(e).form),
    }),
  );
  const [cancelMsg, setCancelMsg] = useState<string | null>(null);

  // profile
  const [profile, setProfile] = useState({
    displayName: o.leader.displayName,
    bio: o.leader.bio,
    strategy: o.leader.strategy,
  });
  const [profileMsg, setProfileMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const save = useMutation(
    trpc.leaderConsole.updateProfile.mutationOptions({
      onSuccess: async () => {
        setProfileMsg({ ok: true, text: "Profile saved." });
        await refresh();
      },
      onError: (e) =>
        setProfileMsg({
          ok: false,
          text:
            formErrors(e).form ??
            Object.values(
              formErrors(e, { displayName: "Display name", bio: "Bio", strategy: "Strategy" })
                .fields,
            ).join(" "),
        }),
    }),
  );

  return (
    <div className="stack">
      <header>
        <h1>Leader console</h1>
        <p className="muted" style={{ margin: 0 }}>
          <Link href={`/leaders/${o.leader.handle}`}>Your public profile @{o.leader.handle}</Link> ·
          cash{" "}
          {o.account.cash === null
            ? "not on record yet"
            : money(o.account.cash, o.account.currency)}{" "}
          · {o.followerCount} follower(s) copying {money(o.capitalCopying)} ·{" "}
          <Link href="/leader/earnings">Earnings and fee settings</Link>
        </p>
      </header>
      {q.isError && (
        <p role="alert" className="error">
          Live updates failed; showing the last known state. Retrying…
        </p>
      )}

      <div className="split">
        <section className="card" aria-labelledby="ticket">
          <h2 id="ticket" style={{ marginTop: 0 }}>
            Trade ticket
          </h2>
          <TradeTicket o={o} onPlaced={refresh} />
        </section>

        <section className="card" aria-labelledby="profile">
          <h2 id="profile" style={{ marginTop: 0 }}>
            Public profile
          </h2>
          <form
            className="stack"
            noValidate
            onSubmit={(e) => {
              e.preventDefault();
              setProfileMsg(null);
              save.mutate(profile);
            }}
          >
            <label>
              Display name
              <input
                value={profile.displayName}
                onChange={(e) => setProfile((p) => ({ ...p, displayName: e.target.value }))}
              />
            </label>
            <label>
              Bio
              <textarea
                rows={3}
                value={profile.bio}
                onChange={(e) => setProfile((p) => ({ ...p, bio: e.target.value }))}
              />
            </label>
            <label>
              Strategy description
              <textarea
                rows={4}
                value={profile.strategy}
                onChange={(e) => setProfile((p) => ({ ...p, strategy: e.target.value }))}
              />
            </label>
            <p className="hint" style={{ margin: 0 }}>
              Performance fee {o.leader.performanceFeePct} % and minimum{" "}
              {money(o.leader.minAllocation)} are set with support, so followers are never
              surprised.
            </p>
            {profileMsg && (
              <p
                role={profileMsg.ok ? "status" : "alert"}
                className={profileMsg.ok ? "pos" : "error"}
              >
                {profileMsg.text}
              </p>
            )}
            <div>
              <button type="submit" disabled={save.isPending}>
                Save profile
              </button>
            </div>
          </form>
        </section>
      </div>

      <section aria-labelledby="lpos">
        <h2 id="lpos">Positions</h2>
        {o.positions.length === 0 ? (
          <p className="card muted">You are flat.</p>
        ) : (
          <div className="table-wrap">
            <table data-testid="leader-positions">
              <thead>
                <tr>
                  <th scope="col">Instrument</th>
                  <th scope="col" className="num">
                    Quantity
                  </th>
                  <th scope="col" className="num">
                    Avg cost
                  </th>
                  <th scope="col" className="num">
                    Mark
                  </th>
                  <th scope="col" className="num">
                    Unrealized
                  </th>
                </tr>
              </thead>
              <tbody>
                {o.positions.map((p) => (
                  <tr key={p.symbol}>
                    <td>{p.symbol}</td>
                    <td className="num">{qty(p.qty, { sign: true })}</td>
                    <td className="num">{money(p.avgCost, p.currency)}</td>
                    <td className="num">{money(p.mark, p.currency)}</td>
                    <td className={`num ${signClass(p.unrealized)}`}>
                      {money(p.unrealized, p.currency, { sign: true })}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section aria-labelledby="oorders">
        <h2 id="oorders">Open orders</h2>
        {cancelMsg && (
          <p role="alert" className="form-error">
            {cancelMsg}
          </p>
        )}
        {o.openOrders.length === 0 ? (
          <p className="card muted">No open orders.</p>
        ) : (
          <div className="table-wrap">
            <table data-testid="open-orders">
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Order</th>
                  <th scope="col">Status</th>
                  <th scope="col" className="num">
                    Filled
                  </th>
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {o.openOrders.map((x) => (
                  <tr key={x.id}>
                    <td>{dateTime(x.createdAt)}</td>
                    <td>
                      {x.side === "buy" ? "Buy" : "Sell"} {qty(x.qty)} {x.symbol}{" "}
                      {x.type === "limit" ? `limit ${money(x.limitPrice)}` : "market"}
                    </td>
                    <td>
                      {x.cancelRequestedAt
                        ? "Cancel requested"
                        : (ORDER_STATUS[x.status] ?? x.status)}
                    </td>
                    <td className="num">{qty(x.filledQty)}</td>
                    <td>
                      <button
                        type="button"
                        className="secondary"
                        disabled={cancel.isPending || Boolean(x.cancelRequestedAt)}
                        onClick={() => cancel.mutate({ orderId: x.id })}
                        aria-label={`Cancel ${x.side} ${x.qty} ${x.symbol}`}
                      >
                        Cancel
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {o.recentOrders.some((x) => x.status === "rejected") && (
          <div className="card" role="status">
            <strong>Recently rejected</strong>
            <ul>
              {o.recentOrders
                .filter((x) => x.status === "rejected")
                .map((x) => (
                  <li key={x.id}>
                    {dateTime(x.createdAt)} · {x.side} {qty(x.qty)} {x.symbol}:{" "}
                    {x.rejectReason ? reasonWords(x.rejectReason) : "rejected"}
                  </li>
                ))}
            </ul>
          </div>
        )}
      </section>

      <section aria-labelledby="lfills">
        <h2 id="lfills">Fills</h2>
        {o.recentFills.length === 0 ? (
          <p className="card muted">No fills yet.</p>
        ) : (
          <div className="table-wrap">
            <table data-testid="leader-fills">
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Fill</th>
                  <th scope="col" className="num">
                    Price
                  </th>
                  <th scope="col" className="num">
                    Fee
                  </th>
                  <th scope="col" className="num">
                    Copied to
                  </th>
                </tr>
              </thead>
              <tbody>
                {o.recentFills.map((f) => (
                  <tr key={f.id}>
                    <td>{dateTime(f.filledAt)}</td>
                    <td>
                      {isCharge(f)
                        ? `Broker commission on ${f.symbol}`
                        : `${f.side === "buy" ? "Bought" : "Sold"} ${qty(f.qty)} ${f.symbol}`}
                    </td>
                    <td className="num">{isCharge(f) ? "" : money(f.price)}</td>
                    <td className="num">{money(f.fee)}</td>
                    <td className="num" data-testid="copied-to">
                      {f.copiedTo} follower{f.copiedTo === 1 ? "" : "s"}
                      {f.skippedFor > 0 && <span className="muted"> ({f.skippedFor} skipped)</span>}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section aria-labelledby="lfollowers">
        <h2 id="lfollowers">Followers</h2>
        {o.followers.length === 0 ? (
          <p className="card muted">Nobody copies you yet.</p>
        ) : (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Follower</th>
                  <th scope="col">Status</th>
                  <th scope="col">Sizing</th>
                  <th scope="col" className="num">
                    Capital
                  </th>
                  <th scope="col" className="hide-sm">
                    Since
                  </th>
                </tr>
              </thead>
              <tbody>
                {o.followers.map((f) => (
                  <tr key={f.id}>
                    <td>{f.name}</td>
                    <td>{f.status}</td>
                    <td>{f.sizingMode.replace("_", " ")}</td>
                    <td className="num">{money(f.capital)}</td>
                    <td className="hide-sm">{dateTime(f.startedAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <ApiKeys />
      <p className="muted" style={{ fontSize: "0.85rem" }}>
        Updates every 2 seconds.
      </p>
    </div>
  );
}
