"use client";
import { useEffect, useState, useSyncExternalStore } from "react";
import { ago, dateTime } from "./format";

const noop = () => () => {};
/** False on the server and while hydrating, true after: what differs by time zone waits for it. */
export function useHydrated(): boolean {
  return useSyncExternalStore(
    noop,
    () => true,
    () => false,
  );
}

function toDate(d: Date | string): Date {
  return typeof d === "string" ? new Date(d) : d;
}

/** "20 Nov 2026, 13:05" in the viewer's time zone. */
export function localDateTime(d: Date | string): string {
  return new Intl.DateTimeFormat(undefined, {
    day: "numeric",
    month: "short",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  }).format(toDate(d));
}

/**
 * A moment in the viewer's time zone, UTC on hover. The server (and the first client render)
 * print UTC, so hydration never disagrees; the local time replaces it once mounted.
 */
export function When({ at }: { at: Date | string | null | undefined }) {
  const hydrated = useHydrated();
  if (!at) return <>—</>;
  const d = toDate(at);
  return (
    <time dateTime={d.toISOString()} title={dateTime(d)}>
      {hydrated ? localDateTime(d) : dateTime(d)}
    </time>
  );
}

/**
 * "12 s ago", measured from the server's `asOf` until mounted (so server and client agree),
 * then from the browser's clock, refreshed every few seconds.
 */
export function Ago({
  at,
  asOf,
  never = "never",
}: {
  at: Date | string | null | undefined;
  asOf: Date | string;
  never?: string;
}) {
  const hydrated = useHydrated();
  const [now, setNow] = useState<Date | null>(null);
  useEffect(() => {
    const tick = () => setNow(new Date());
    const id = setInterval(tick, 5_000);
    const first = setTimeout(tick, 0);
    return () => {
      clearInterval(id);
      clearTimeout(first);
    };
  }, []);
  if (!at) return <>{never}</>;
  const d = toDate(at);
  return (
    <time dateTime={d.toISOString()} title={dateTime(d)}>
      {ago(d, hydrated && now ? now : toDate(asOf))}
    </time>
  );
}
