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
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const it = items[next++]!;
      await fn(it);
    }
  });
  await Promise.all(workers);
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
