import { sql, type SQL } from "drizzle-orm";

/*
 * Many rows as ONE parameter: a JSON array of arrays (one array per row, values in the order
 * of the column list), expanded by PostgreSQL with `jsonb_array_elements` and read by
 * position. The engine's multi-row writes (engine/core/bulk.ts) and the paper broker's
 * (brokers/paper/batch.ts) both go through it.
 *
 * Why not `json_to_recordset(… ::json) as x(col type, …)`, which this replaced: measured on
 * this machine (ADR 0041, session 11), 10 000 copy decisions took 206 ms to insert that way
 * against 146 ms this way, and 10 000 fills 118 against 109 ms. json_to_recordset looks
 * every key of every object up by name, and a nested value (a decision's checks, an event's
 * payload) is cut out as text and parsed a second time into jsonb; here the whole parameter
 * is parsed once, values are taken by index, and rows carry no key names (a fifth fewer
 * bytes for decisions). Building the arrays costs Node what the keys cost JSON.stringify.
 */

/** `name type` pairs of a constant column list: "id uuid, qty numeric". */
export type ColumnDefs = ReadonlyArray<readonly [name: string, type: string]>;

/** Parses a caller's constant column list, "id uuid, broker_order_id text". */
export function parseDefs(defs: string): ColumnDefs {
  return defs.split(",").map((d) => {
    const m = /^\s*"?([A-Za-z_][A-Za-z0-9_]*)"?\s+(.+?)\s*$/.exec(d);
    if (!m) throw new Error(`column definition "${d.trim()}" is not "name type"`);
    return [m[1]!, m[2]!] as const;
  });
}

/** The value of column `i` of row `e` as SQL of `type`; JSON null is SQL NULL, as before. */
function valueAt(i: number, type: string): string {
  const t = type.toLowerCase();
  if (t.endsWith("[]")) throw new Error(`array columns are not supported here (${type})`);
  if (t === "text") return `e->>${i}`;
  if (t === "jsonb") return `nullif(e->${i}, 'null'::jsonb)`;
  if (t === "json") return `nullif(e->${i}, 'null'::jsonb)::json`;
  return `(e->>${i})::${type}`;
}

/** The select list reading every column by position, each named as its column. */
function selectList(cols: ColumnDefs): string {
  return cols.map(([name, type], i) => `${valueAt(i, type)} as "${name}"`).join(", ");
}

/**
 * Picks a row's values in column order. Compiled once per column list: a literal property
 * read per column keeps each read site to the few row shapes one caller builds, where one
 * keyed loop shared by every caller's rows sees them all (the JSON of a booking's four
 * kinds of rows, 50 000 in all: 38.5 ms compiled, 44.4 ms by a shared loop, 43 ms for plain
 * objects with their keys; medians of 10, session 11). Column names come from the callers'
 * constant lists and are checked here, never from data.
 */
const pickers = new Map<string, (row: Record<string, unknown>) => unknown[]>();
function pickerFor(cols: ColumnDefs): (row: Record<string, unknown>) => unknown[] {
  const key = cols.map(([n]) => n).join(",");
  let pick = pickers.get(key);
  if (!pick) {
    for (const [n] of cols)
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(n)) throw new Error(`bad column name ${n}`);
    // undefined in an array is written as null by JSON.stringify: a missing key is NULL.
    pick = new Function("r", `return [${cols.map(([n]) => `r.${n}`).join(", ")}];`) as (
      row: Record<string, unknown>,
    ) => unknown[];
    pickers.set(key, pick);
  }
  return pick;
}

/** The JSON text of the rows, each an array of its values in column order. */
function rowsJson(rows: readonly Record<string, unknown>[], cols: ColumnDefs): string {
  return JSON.stringify(rows.map(pickerFor(cols)));
}

/**
 * Below this many rows no column is sent once: a short write gains nothing, and each
 * pattern of constant columns is one more prepared statement.
 */
const HOIST_FROM_ROWS = 32;
/** With the JSON, at most 16 parameters: the statement stays prepared (db/prepared-statements.ts). */
const MAX_HOISTED = 15;

/**
 * Whether every row has the same value in this column: the same primitive, or the same
 * instant. Objects (jsonb values) are never taken as the same. A varying column is usually
 * seen to vary at the second row, so this reads all rows only for the columns that hoist.
 */
function sameInEvery(rows: readonly Record<string, unknown>[], name: string): boolean {
  const v0 = rows[0]![name] ?? null;
  if (v0 instanceof Date) {
    const t = v0.getTime();
    for (let r = 1; r < rows.length; r++) {
      const v = rows[r]![name];
      if (!(v instanceof Date) || v.getTime() !== t) return false;
    }
    return true;
  }
  if (typeof v0 === "object" && v0 !== null) return false;
  for (let r = 1; r < rows.length; r++) if ((rows[r]![name] ?? null) !== v0) return false;
  return true;
}

/** A hoisted value as its parameter: texts for the cast in SQL, booleans as booleans. */
function asParam(v: unknown): unknown {
  if (v instanceof Date) return v.toISOString();
  if (typeof v === "number" || typeof v === "bigint") return String(v);
  return v;
}

/**
 * `select <columns> from jsonb_array_elements($1::jsonb) e`: the rows as a relation whose
 * columns are named and typed as `defs` says. A column with one value in every row of a
 * long write (the leader fill's id and time in each of its decisions, an order's state at
 * insert) is sent once, as a parameter, not once per row: a fifth of a fan-out's bytes,
 * and PostgreSQL reads and casts it once (ADR 0041, session 11).
 */
export function selectRows(rows: readonly Record<string, unknown>[], cols: ColumnDefs): SQL {
  const hoisted = new Set<number>();
  if (rows.length >= HOIST_FROM_ROWS)
    for (let c = 0; c < cols.length && hoisted.size < MAX_HOISTED; c++)
      if (sameInEvery(rows, cols[c]![0])) hoisted.add(c);
  if (hoisted.size === 0)
    return sql`select ${sql.raw(selectList(cols))} from jsonb_array_elements(${rowsJson(rows, cols)}::jsonb) e`;
  const varying = cols.filter((_, c) => !hoisted.has(c));
  const position = new Map(varying.map(([name], i) => [name, i]));
  const list = cols.map(([name, type], c) => {
    if (!hoisted.has(c)) return sql.raw(`${valueAt(position.get(name)!, type)} as "${name}"`);
    const v = rows[0]![name] ?? null;
    return v === null
      ? sql.raw(`null::${type} as "${name}"`)
      : sql`${asParam(v)}::${sql.raw(type)} as ${sql.raw(`"${name}"`)}`;
  });
  return sql`select ${sql.join(list, sql`, `)} from jsonb_array_elements(${rowsJson(rows, varying)}::jsonb) e`;
}

/** The rows as a relation named `alias`, for `UPDATE … FROM` and joins. */
export function jsonRows(
  rows: readonly Record<string, unknown>[],
  defs: string,
  alias: string,
): SQL {
  return sql`(${selectRows(rows, parseDefs(defs))}) as ${sql.raw(alias)}`;
}
