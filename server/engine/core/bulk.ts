import { sql, type SQL, type SQLWrapper } from "drizzle-orm";
import { jsonRows, selectRows, type ColumnDefs } from "../../../db/json-rows";
import type { Executor } from "./streams";

/**
 * Multi-row INSERT for thousands of rows, as ONE JSON parameter expanded by PostgreSQL
 * (db/json-rows.ts: an array per row, read by position). Building the same statement with
 * the query builder costs milliseconds of JavaScript per thousand values; here Node only
 * builds the arrays and runs JSON.stringify. `columns` maps each column to its SQL type;
 * the table, columns and conflict clause are constants of the caller, never user input.
 *
 * No replacer in JSON.stringify: a Date already turns into its ISO text through its own
 * `toJSON`, and a replacer is a JavaScript call per value (98 against 136 ms for 20 000
 * postings-shaped rows, session 6).
 */
export async function bulkInsert<R extends Record<string, unknown>>(
  db: Executor,
  table: string,
  columns: Record<keyof R & string, string>,
  rows: readonly R[],
  opts: { onConflict?: string; returning?: string } = {},
): Promise<Array<Record<string, unknown>>> {
  if (rows.length === 0) return [];
  const cols: ColumnDefs = Object.entries<string>(columns);
  const list = cols.map(([c]) => `"${c}"`).join(", ");
  const out: Array<Record<string, unknown>> = [];
  for (let i = 0; i < rows.length; i += 5000) {
    const res = await db.execute<Record<string, unknown>>(
      sql`insert into ${sql.raw(table)} (${sql.raw(list)}) ${selectRows(rows.slice(i, i + 5000), cols)} ${sql.raw(opts.onConflict ?? "")} ${sql.raw(opts.returning ? `returning ${opts.returning}` : "")}`,
    );
    out.push(...res);
  }
  return out;
}

/**
 * Rows as a relation `v` for UPDATE … FROM: ONE JSON parameter expanded by PostgreSQL, never
 * values spliced into the SQL text. `defs` is the caller's constant column list with types.
 */
export function recordset(rows: readonly Record<string, unknown>[], defs: string) {
  return jsonRows(rows, defs, "v");
}

/**
 * `column = any($1::type[])` with the values as ONE array parameter. `inArray` sends one
 * parameter per value: for a fan-out's 10 000 ids that is 10 000 parameters for the driver
 * and the query builder to handle (the builder alone cost seconds per fan-out) and a long
 * list for PostgreSQL to parse. The parameter is declared with the column's array type, so
 * the server reads it once at bind. Not `$1::text[]::uuid[]`: under a prepared statement's
 * generic plan that cast is evaluated again for every row a filter looks at (a booking's
 * order lock: 13 ms against 1.2 ms for 200 rows). `type` is a constant of the caller.
 */
export function anyOf(column: SQLWrapper, values: readonly string[], type = "uuid"): SQL {
  return sql`${column} = any(${sql.param(arrayParam(values))}::${sql.raw(type)}[])`;
}

/** Text an array literal may hold without quotes: ids, codes, numbers. */
const BARE = /^[A-Za-z0-9_.:-]+$/;

/**
 * The values as PostgreSQL's array text, `{a,b,c}`, when none needs quoting: the driver
 * passes a string as it is, where it escapes an array's elements one by one with two regular
 * expressions each (35 ms of a 10 000-follower fan-out's Node time, session 11). Anything
 * else (a quote, a comma, a space, the word NULL) goes as the array, escaped by the driver.
 */
export function arrayParam(values: readonly string[]): string | string[] {
  for (const v of values)
    if (!BARE.test(v) || (v.length === 4 && v.toLowerCase() === "null")) return [...values];
  return `{${values.join(",")}}`;
}
