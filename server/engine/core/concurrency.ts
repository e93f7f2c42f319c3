/**
 * Runs `fn` over `items` with at most `limit` in flight. With limit 1 it is a plain loop in
 * order, which is what replays use to stay deterministic.
 */
export async function forEachLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<unknown>,
): Promise<void> {
  if (limit <= 1) {
    for (const it of items) await fn(it);
    return;
  }
  // After a failure no new item starts, and the call returns only once the items already
  // started are done: nothing keeps writing behind the caller's back after it has seen the
  // error (Promise.all alone would reject while the other workers still run).
  let next = 0;
  let failed = false;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (!failed && next < items.length) {
      const it = items[next++]!;
      try {
        await fn(it);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  });
  const results = await Promise.allSettled(workers);
  const error = results.find((r) => r.status === "rejected");
  if (error) throw (error as PromiseRejectedResult).reason;
}

export function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const list = m.get(k);
    if (list) list.push(it);
    else m.set(k, [it]);
  }
  return m;
}

/** Below this many items a part of parallel work is not split off: one transaction is cheaper. */
export const MIN_PARALLEL_PART = 1000;

/**
 * `list` in at most `n` consecutive parts of about equal size, none smaller than `minPart`
 * (one part when the list is too short to split). For work run side by side over disjoint
 * items: booking parts, fan-out batches.
 */
export function splitEvenly<T>(list: readonly T[], n: number, minPart = MIN_PARALLEL_PART): T[][] {
  const k = Math.max(1, Math.min(n, Math.floor(list.length / minPart)));
  const size = Math.ceil(list.length / k);
  const parts: T[][] = [];
  for (let i = 0; i < list.length; i += size) parts.push(list.slice(i, i + size));
  return parts;
}
