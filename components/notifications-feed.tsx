"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";
import { dateTime } from "./format";
import { useTRPC } from "./trpc";

type Out = inferRouterOutputs<AppRouter>["notifications"];

/** The feed (newest first, read on click or all at once) and the per-kind preferences. */
export function NotificationsFeed({
  initial,
  preferences,
}: {
  initial: Out["list"];
  preferences: Out["preferences"];
}) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const list = useQuery({
    ...trpc.notifications.list.queryOptions(),
    initialData: initial,
    refetchInterval: 15_000,
  });
  const prefs = useQuery({
    ...trpc.notifications.preferences.queryOptions(),
    initialData: preferences,
  });
  const [error, setError] = useState<string | null>(null);
  const refresh = () =>
    Promise.all([
      qc.invalidateQueries({ queryKey: trpc.notifications.list.queryKey() }),
      qc.invalidateQueries({ queryKey: trpc.notifications.unreadCount.queryKey() }),
      qc.invalidateQueries({ queryKey: trpc.notifications.preferences.queryKey() }),
    ]);
  const markRead = useMutation(
    trpc.notifications.markRead.mutationOptions({
      onSuccess: refresh,
      onError: (e) => setError(e.message),
    }),
  );
  const setPref = useMutation(
    trpc.notifications.setPreference.mutationOptions({
      onSuccess: refresh,
      onError: (e) => setError(e.message),
    }),
  );
  const items = list.data.items;
  const unread = items.filter((i) => !i.readAt).length;
  return (
    <div className="stack">
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <section className="card" aria-labelledby="feed-h">
        <div className="toolbar" style={{ justifyContent: "space-between" }}>
          <h2 id="feed-h" style={{ margin: 0 }}>
            {unread > 0 ? `${unread} unread` : "All read"}
          </h2>
          <button
            type="button"
            disabled={unread === 0 || markRead.isPending}
            onClick={() => markRead.mutate({ all: true })}
          >
            Mark all as read
          </button>
        </div>
        {items.length === 0 ? (
          <p className="muted">
            Nothing yet. You will hear here when a copy stops, trades are skipped or the broker
            refuses an order.
          </p>
        ) : (
          <ul className="stack" style={{ listStyle: "none", padding: 0 }} data-testid="feed">
            {items.map((n) => (
              <li
                key={n.id}
                className="card"
                data-unread={!n.readAt || undefined}
                style={n.readAt ? undefined : { borderLeft: "4px solid currentColor" }}
              >
                <div className="toolbar" style={{ justifyContent: "space-between" }}>
                  <strong>{n.title}</strong>
                  <time
                    className="muted"
                    dateTime={new Date(n.createdAt).toISOString()}
                    suppressHydrationWarning
                  >
                    {dateTime(n.createdAt)}
                  </time>
                </div>
                <p style={{ whiteSpace: "pre-line" }}>{n.body}</p>
                <div className="toolbar">
                  {n.link && (
                    <Link
                      href={n.link}
                      onClick={() => !n.readAt && markRead.mutate({ ids: [n.id] })}
                    >
                      Open
                    </Link>
                  )}
                  {!n.readAt && (
                    <button type="button" onClick={() => markRead.mutate({ ids: [n.id] })}>
                      Mark as read
                    </button>
                  )}
                </div>
              </li>
            ))}
          </ul>
        )}
      </section>

      <section className="card" aria-labelledby="prefs-h">
        <h2 id="prefs-h" style={{ marginTop: 0 }}>
          What to tell you, and how
        </h2>
        <table>
          <thead>
            <tr>
              <th scope="col">About</th>
              <th scope="col">In the app</th>
              <th scope="col">By e-mail</th>
            </tr>
          </thead>
          <tbody>
            {prefs.data.map((p) => (
              <tr key={p.kind}>
                <th scope="row" style={{ fontWeight: "normal" }}>
                  <strong>{p.label}</strong>
                  <div className="muted">{p.description}</div>
                </th>
                <td>
                  <input
                    type="checkbox"
                    aria-label={`${p.label} in the app`}
                    checked={p.inApp}
                    disabled={setPref.isPending}
                    onChange={(e) =>
                      setPref.mutate({ kind: p.kind, inApp: e.target.checked, email: p.email })
                    }
                  />
                </td>
                <td>
                  <input
                    type="checkbox"
                    aria-label={`${p.label} by e-mail`}
                    checked={p.email}
                    disabled={setPref.isPending}
                    onChange={(e) =>
                      setPref.mutate({ kind: p.kind, inApp: p.inApp, email: e.target.checked })
                    }
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </div>
  );
}
