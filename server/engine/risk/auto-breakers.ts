import { sql } from "drizzle-orm";
import { D, type Decimal } from "../../domain/money";
import type { Quote } from "../../market/quotes";
import type { EngineDeps } from "../deps";
import { AUTO_BREAKER_CONFIG, type AutoBreakerConfig } from "../../domain/verified";
import { closeBreaker, openBreaker } from "./breakers";

/*
 * Breakers that open and close by themselves (ADR 0036), on the one breaker mechanism of
 * breakers.ts (the circuit_breakers table, openBreaker / closeBreaker): an instrument whose
 * quote jumps abnormally, and the quiet-period close of the engine's fill-rate breaker.
 * Every automatic open and close is audited with actor "system".
 */

export const SYSTEM = "system";
/** How an abnormal-market breaker's reason starts: the closer finds its own breakers by it. */
const ABNORMAL = "abnormal market:";

/**
 * Watches published quotes (one call in the quote path: the worker's feed sinks). Keeps
 * the last window of mid prices per symbol in memory — a worker restart only forgets a
 * minute — and opens the instrument's breaker when the window's range exceeds the jump.
 */
export function createQuoteWatch(
  deps: Pick<EngineDeps, "db" | "clock" | "log" | "config">,
  cfg: AutoBreakerConfig = AUTO_BREAKER_CONFIG,
) {
  const windows = new Map<string, Array<{ t: number; mid: Decimal }>>();
  const limit = D(cfg.jumpPct).div(100);

  function range(symbol: string, now: number) {
    const w = (windows.get(symbol) ?? []).filter((p) => now - p.t <= cfg.jumpWindowMs);
    windows.set(symbol, w);
    if (w.length < 2) return null;
    let lo = w[0]!.mid;
    let hi = w[0]!.mid;
    for (const p of w) {
      if (p.mid.lt(lo)) lo = p.mid;
      if (p.mid.gt(hi)) hi = p.mid;
    }
    return lo.gt(0) ? hi.minus(lo).div(lo) : null;
  }

  return {
    async onQuote(q: Quote): Promise<void> {
      if (!deps.config.autoBreakers) return;
      const t = q.at.getTime();
      const mid = D(q.bid).plus(q.ask).div(2);
      windows.set(q.symbol, [...(windows.get(q.symbol) ?? []), { t, mid }]);
      const moved = range(q.symbol, t);
      if (moved === null || moved.lte(limit)) return;
      const id = await openBreaker(deps, {
        scope: "instrument",
        key: q.symbol,
        reason: `${ABNORMAL} price moved ${moved.times(100).toDecimalPlaces(1).toFixed()} % within ${cfg.jumpWindowMs / 1000} s`,
        by: SYSTEM,
      });
      if (id) deps.log.warn({ symbol: q.symbol }, "instrument breaker opened: abnormal quote");
    },

    /** Closes this watch's abnormal-market breakers that have cooled down. */
    async closeCooledDown(): Promise<number> {
      const now = deps.clock.now().getTime();
      const open = await deps.db.execute<{ id: string; key: string; opened_at: Date | string }>(
        sql`select id, scope_key as key, opened_at from circuit_breakers
             where closed_at is null and scope = 'instrument' and opened_by = ${SYSTEM}
               and reason like ${`${ABNORMAL}%`}`,
      );
      let closed = 0;
      for (const b of open) {
        if (now - new Date(b.opened_at).getTime() < cfg.coolDownMs) continue;
        const moved = range(b.key, now);
        // Calm: no quote in the window moved past the limit (no quotes at all is calm too).
        if (moved !== null && moved.gt(limit)) continue;
        if (await closeBreaker(deps, b.id, SYSTEM)) closed += 1;
      }
      return closed;
    },
  };
}

/**
 * Closes the engine's fill-rate breakers (breakers.ts tripOnLeaderFillRate) whose leader has
 * been quiet for the whole quiet period: one query finds them all.
 */
export async function closeQuietFillRateBreakers(
  deps: Pick<EngineDeps, "db" | "clock">,
  cfg: AutoBreakerConfig = AUTO_BREAKER_CONFIG,
): Promise<number> {
  const since = new Date(deps.clock.now().getTime() - cfg.fillRateQuietMs).toISOString();
  const quiet = await deps.db.execute<{ id: string }>(sql`
    select b.id from circuit_breakers b
     where b.closed_at is null and b.scope = 'leader' and b.opened_by = 'engine'
       and b.opened_at <= ${since}::timestamptz
       and not exists (select 1 from leader_fills f
                        where f.leader_id::text = b.scope_key and f.recorded_at > ${since}::timestamptz)`);
  let closed = 0;
  for (const b of quiet) if (await closeBreaker(deps, b.id, SYSTEM)) closed += 1;
  return closed;
}
