import type postgres from "postgres";

/**
 * Up to this many parameters a query is sent as a named prepared statement. Above it the
 * text usually depends on the data (a multi-row `values(...)` or an `in (...)` list whose
 * length varies), and each length would be one more statement kept on the connection.
 */
export const MAX_PREPARED_PARAMS = 16;

/**
 * The postgres.js client with Drizzle's queries prepared. Drizzle sends every query it
 * builds with `unsafe(text, params, { prepare: false })` unless the caller names it, so
 * PostgreSQL parses and plans the text again on every call and postgres.js decodes its
 * description again: ~300 µs against ~50–150 µs prepared, measured on this machine for one
 * short select (ADR 0041, session 10). A leader fill to one follower runs about 90 of them.
 *
 * postgres.js keeps one prepared statement per distinct text on each connection (until the
 * connection is recycled, `max_lifetime`) and re-prepares one that the server dropped.
 * PostgreSQL plans the first five calls with their values, then keeps a generic plan when it
 * is no dearer. The generic plan is most of the gain for bulk writes (a JSON parameter of
 * 2 000 rows is no longer planned as a constant each time), and it has one trap: a cast of a
 * parameter inside a filter is evaluated per row, so array parameters are declared with
 * their type rather than cast (`engine/core/bulk.ts#anyOf`). Forcing custom plans instead
 * (`plan_cache_mode`) cost 700 ms of database CPU on a 10 000-follower fan-out.
 * Queries without parameters stay unprepared: they may hold several statements.
 */
export function preparingClient<T extends postgres.Sql>(sql: T): T {
  return wrap(sql);
}

type Unsafe = (text: string, params?: unknown[], options?: Record<string, unknown>) => unknown;
type WithClient = (...args: unknown[]) => unknown;

function wrap<T extends object>(client: T): T {
  return new Proxy(client, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (prop === "unsafe") {
        const unsafe = value as Unsafe;
        return (text: string, params?: unknown[], options?: Record<string, unknown>) =>
          Array.isArray(params) && params.length > 0 && params.length <= MAX_PREPARED_PARAMS
            ? unsafe.call(target, text, params, { ...options, prepare: true })
            : unsafe.call(target, text, params, options);
      }
      // The client handed to a transaction's or savepoint's callback is a new one: wrapped
      // too, so queries inside transactions are prepared as well.
      if (prop === "begin" || prop === "savepoint") {
        const withClient = value as WithClient;
        return (...args: unknown[]) =>
          withClient.apply(
            target,
            args.map((a) =>
              typeof a === "function"
                ? (inner: object) => (a as (c: object) => unknown)(wrap(inner))
                : a,
            ),
          );
      }
      return value;
    },
  });
}
