import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import { createTestDb } from "../test/db";
import { jsonRows, parseDefs } from "./json-rows";

let t: Awaited<ReturnType<typeof createTestDb>>;
beforeAll(async () => {
  t = await createTestDb();
});
afterAll(() => t.drop());

const DEFS = `id uuid, "camelName" text, qty numeric, n bigint, ok boolean, at timestamptz,
  doc jsonb, note text`;

describe("rows as one JSON parameter, read by position", () => {
  it("gives every column its type and name, and SQL NULL for null and missing values", async () => {
    const at = new Date("2026-12-03T10:00:00.123Z");
    const rows = [
      {
        id: "00000000-0000-4000-8000-000000000001",
        camelName: 'quote " and \\ backslash',
        qty: "12.3400",
        n: 9007199254740993n.toString(),
        ok: false,
        at,
        doc: { checks: [{ check: "funds", passed: true }], n: null },
        note: "",
      },
      // Nulls, and keys left out altogether, are NULL, as json_to_recordset gave them.
      { id: "00000000-0000-4000-8000-000000000002", camelName: null, qty: 0, ok: true, doc: null },
    ];
    const out = await t.db.execute<Record<string, unknown>>(sql`
      select x.id::text, x."camelName", x.qty::text, x.n::text, x.ok, x.at, x.doc, x.note,
             pg_typeof(x.qty)::text as qty_type, pg_typeof(x.doc)::text as doc_type,
             x.doc is null as doc_is_null, x.note is null as note_is_null
        from ${jsonRows(rows, DEFS, "x")} order by x.id`);
    expect(out).toHaveLength(2);
    expect(out[0]).toMatchObject({
      id: "00000000-0000-4000-8000-000000000001",
      camelName: 'quote " and \\ backslash',
      qty: "12.3400",
      n: "9007199254740993",
      ok: false,
      doc: { checks: [{ check: "funds", passed: true }], n: null },
      note: "",
      qty_type: "numeric",
      doc_type: "jsonb",
      doc_is_null: false,
      note_is_null: false,
    });
    expect(new Date(out[0]!.at as string).toISOString()).toBe(at.toISOString());
    expect(out[1]).toMatchObject({
      camelName: null,
      qty: "0",
      n: null,
      ok: true,
      at: null,
      doc_is_null: true,
      note_is_null: true,
    });
  });

  it("is usable for UPDATE … FROM and sends the rows as one parameter", async () => {
    await t.db.execute(sql`create temp table jr (id int primary key, v text)`);
    await t.db.execute(sql`insert into jr values (1, 'a'), (2, 'b'), (3, 'c')`);
    const q = sql`update jr set v = x.v from ${jsonRows(
      [
        { id: 1, v: "one" },
        { id: 3, v: "three" },
      ],
      "id int, v text",
      "x",
    )} where jr.id = x.id`;
    const compiled = new PgDialect().sqlToQuery(q);
    expect(compiled.params).toHaveLength(1);
    expect(compiled.sql).toContain("jsonb_array_elements($1::jsonb)");
    await t.db.execute(q);
    const rows = await t.db.execute<{ id: number; v: string }>(
      sql`select id, v from jr order by id`,
    );
    expect(rows.map((r) => `${r.id}:${r.v}`)).toEqual(["1:one", "2:b", "3:three"]);
  });

  it("refuses a column list it cannot read", () => {
    expect(() => parseDefs("id uuid, broken")).toThrow(/"broken" is not "name type"/);
    expect(() => jsonRows([{ a: [1] }], "a int[]", "x")).toThrow(/array columns/);
  });
});

describe("a column with one value in every row of a long write", () => {
  it("is sent once as a parameter, and reads back the same as when sent per row", async () => {
    const at = new Date("2026-12-03T10:00:00.000Z");
    const rows = Array.from({ length: 40 }, (_, i) => ({
      id: i,
      same: "constant text",
      when: new Date(at.getTime()), // equal instants, different Date objects
      flag: false,
      none: null,
      seq: 7,
      doc: { a: 1 }, // objects always travel per row
      varies: `v${i}`,
    }));
    const defs =
      "id int, same text, when timestamptz, flag boolean, none numeric, seq bigint, doc jsonb, varies text";
    const q = sql`select x.id, x.same, x.when, x.flag, x.none, x.seq::text, x.doc, x.varies,
      pg_typeof(x.none)::text as none_type from ${jsonRows(rows, defs, "x")} order by x.id`;
    const compiled = new PgDialect().sqlToQuery(q);
    // The JSON, then same, when and seq; flag is a boolean parameter; none is a typed NULL.
    expect(compiled.params).toHaveLength(5);
    expect(compiled.params).toContain(false);
    expect(compiled.sql).toContain('null::numeric as "none"');
    const json = JSON.parse(String(compiled.params.find((p) => String(p).startsWith("[["))));
    expect(json[0]).toEqual([0, { a: 1 }, "v0"]);
    const out = await t.db.execute<Record<string, unknown>>(q);
    expect(out).toHaveLength(40);
    expect(out[39]).toMatchObject({
      id: 39,
      same: "constant text",
      flag: false,
      none: null,
      none_type: "numeric",
      seq: "7",
      doc: { a: 1 },
      varies: "v39",
    });
    expect(new Date(out[0]!.when as string).toISOString()).toBe(at.toISOString());
    // A short write sends every value per row: one parameter.
    expect(new PgDialect().sqlToQuery(jsonRows(rows.slice(0, 3), defs, "x")).params).toHaveLength(
      1,
    );
  });
});
