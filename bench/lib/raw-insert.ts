import type postgres from "postgres";

/**
 * The yardstick every benchmark divides by: plain multi-row INSERTs of an order-like row
 * (uuid, text ids, numerics, timestamps) into a temporary table as wide as `orders`, measured
 * in the same run as the thing benchmarked, so a ratio survives a busy or a quiet machine.
 *
 * One reserved connection, because a temporary table lives on the connection that made it.
 * Rows go in 1000-row INSERT … SELECT generate_series statements (the same baseline the
 * fan-out bench has always used, so earlier ratios stay comparable): the point is PostgreSQL's
 * own insert cost (heap, index, WAL, commit), not client-side encoding.
 */
export async function measureRawInsertRowsPerSec(
  sql: postgres.Sql,
  rows = 10_000,
  batch = 1000,
): Promise<number> {
  const c = await sql.reserve();
  try {
    await c.unsafe(`create temp table if not exists bench_raw_insert (
      id uuid primary key default gen_random_uuid(),
      client_order_id text not null,
      broker_account_id uuid not null,
      copy_id uuid,
      symbol text not null,
      side text not null,
      type text not null,
      qty numeric not null,
      limit_price numeric,
      status text not null,
      origin text not null,
      created_at timestamptz not null,
      updated_at timestamptz not null
    )`);
    await c.unsafe(`truncate bench_raw_insert`);
    // Warm-up: the first statement pays for planning and catalog reads.
    await c.unsafe(insertSql(0, Math.min(batch, 100)));
    await c.unsafe(`truncate bench_raw_insert`);
    const t0 = performance.now();
    for (let i = 0; i < rows; i += batch) {
      await c.unsafe(insertSql(i, Math.min(batch, rows - i)));
    }
    const ms = performance.now() - t0;
    await c.unsafe(`drop table if exists bench_raw_insert`);
    return (rows / ms) * 1000;
  } finally {
    c.release();
  }
}

function insertSql(from: number, k: number): string {
  return `insert into bench_raw_insert (client_order_id, broker_account_id, copy_id, symbol, side, type, qty, limit_price, status, origin, created_at, updated_at)
    select 'raw-' || g, gen_random_uuid(), gen_random_uuid(), 'XYZ', 'buy', 'market', 10, null, 'pending_submit', 'copy', now(), now()
    from generate_series(${from + 1}, ${from + k}) g`;
}
