import { sql } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { D, fmt, ZERO } from "../../domain/money";
import { bookkeepingIntegrityProblems } from "../book/integrity";
import type { Report } from "./report";
import type { Scenario } from "./scenario";

/**
 * The invariants of replay-format.md ("What must always hold"), checked against a report
 * and the broker's own books. Returns the violations, empty when all hold. Used by the
 * scenario and chaos suites after every run.
 */
export async function checkInvariants(
  db: Db,
  scenario: Scenario,
  report: Report,
): Promise<string[]> {
  const problems: string[] = [];
  const mult = new Map(scenario.instruments.map((i) => [i.symbol, D(i.multiplier)]));
  for (const f of scenario.followers) {
    const r = report.followers[f.id];
    if (!r) {
      problems.push(`${f.id}: missing from report`);
      continue;
    }
    const side = new Map(r.orders.map((o) => [o.clientOrderId, o]));
    // Position = signed sum of fills; cash = start + cash events − cost − fees.
    const sums = new Map<string, ReturnType<typeof D>>();
    let cash = D(f.cash);
    for (const e of scenario.events)
      if (e.type === "cash" && e.account === f.id) cash = cash.plus(e.amount);
    for (const fill of r.fills) {
      const o = side.get(fill.clientOrderId);
      if (!o) {
        problems.push(`${f.id}: fill for unknown order ${fill.clientOrderId}`);
        continue;
      }
      const signed = o.side === "buy" ? D(fill.qty) : D(fill.qty).neg();
      sums.set(o.symbol, (sums.get(o.symbol) ?? ZERO).plus(signed));
      cash = cash.minus(signed.times(fill.price).times(mult.get(o.symbol) ?? 1)).minus(fill.fee);
    }
    for (const [symbol, qty] of Object.entries(r.positions)) {
      if (!D(qty).eq(sums.get(symbol) ?? ZERO))
        problems.push(
          `${f.id}: position ${symbol} ${qty} != sum of fills ${fmt(sums.get(symbol) ?? ZERO)}`,
        );
    }
    for (const fee of r.fees) cash = cash.minus(fee.amount); // fees charged, every kind
    if (!cash.eq(r.cash))
      problems.push(`${f.id}: cash ${r.cash} != start + flows − fills − fees = ${fmt(cash)}`);
    // At most one copy order per (leader fill, follower).
    const perFill = new Map<string, number>();
    for (const o of r.orders)
      if (o.origin === "copy" && o.leaderFillId)
        perFill.set(o.leaderFillId, (perFill.get(o.leaderFillId) ?? 0) + 1);
    for (const [fill, n] of perFill)
      if (n > 1) problems.push(`${f.id}: ${n} copy orders for leader fill ${fill}`);
    // After the drain, position = target unless the latest decision for the symbol says why not.
    for (const [symbol, target] of Object.entries(r.targets)) {
      const pos = r.positions[symbol] ?? "0";
      if (D(pos).eq(target)) continue;
      const latest = [...r.decisions].reverse().find((d) => d.symbol === symbol);
      const working = r.orders.some(
        (o) =>
          o.symbol === symbol && !["filled", "cancelled", "rejected", "expired"].includes(o.status),
      );
      if ((!latest || latest.reason === "OK") && !working)
        problems.push(
          `${f.id}: ${symbol} position ${pos} != target ${target} with no reason recorded`,
        );
    }
    if (r.status === "stopped") {
      for (const [symbol, qty] of Object.entries(r.positions)) {
        const working = r.orders.some(
          (o) =>
            o.symbol === symbol &&
            !["filled", "cancelled", "rejected", "expired"].includes(o.status),
        );
        if (!D(qty).isZero() && !working)
          problems.push(`${f.id}: stopped but still holds ${qty} ${symbol}`);
      }
    }
    // While paused nothing increases exposure: every copy decision in a pause window has no increase.
    let paused = false;
    const pausedFills = new Set<string>();
    let stopped = false;
    const afterStop = new Set<string>();
    for (const e of scenario.events) {
      if (e.type === "copy_action" && e.follower === f.id) {
        if (e.action === "pause") paused = true;
        if (e.action === "resume") paused = false;
        if (e.action === "stop") stopped = true;
      }
      if (e.type === "leader_fill" && paused) pausedFills.add(e.fillId);
      if (e.type === "leader_fill" && stopped) afterStop.add(e.fillId);
    }
    for (const o of r.orders) {
      if (o.origin === "copy" && o.leaderFillId && afterStop.has(o.leaderFillId))
        problems.push(`${f.id}: copy order ${o.clientOrderId} after stop`);
    }
    for (const d of r.decisions) {
      if (d.leaderFillId === null || !pausedFills.has(d.leaderFillId)) continue;
      if (d.action === "placed" && d.reason === "OK" && !D(d.orderQty).isZero()) {
        const pos = positionBefore(r, d.leaderFillId, d.symbol);
        if (D(pos).plus(d.orderQty).abs().gt(D(pos).abs()))
          problems.push(`${f.id}: decision on ${d.leaderFillId} increased exposure while paused`);
      }
    }
  }
  // The broker never saw two orders with one client order id.
  const dup = await db.execute<{ client_order_id: string; n: string }>(
    sql`select client_order_id, count(*) as n from paper_orders group by client_order_id having count(*) > 1`,
  );
  for (const d of dup)
    problems.push(`broker has ${d.n} orders with client order id ${d.client_order_id}`);
  // The books hold together: what the dropped foreign keys used to guarantee (ADR 0070).
  problems.push(...(await bookkeepingIntegrityProblems(db)));
  return problems;
}

function positionBefore(
  r: Report["followers"][string],
  leaderFillId: string,
  symbol: string,
): string {
  // Fills of orders created for decisions before this leader fill.
  const idx = r.decisions.findIndex((d) => d.leaderFillId === leaderFillId && d.symbol === symbol);
  const earlier = new Set(r.decisions.slice(0, idx).map((d) => d.leaderFillId));
  let pos = ZERO;
  for (const o of r.orders) {
    if (o.symbol !== symbol) continue;
    if (!o.leaderFillId || !earlier.has(o.leaderFillId)) continue;
    pos = pos.plus(o.side === "buy" ? D(o.filledQty) : D(o.filledQty).neg());
  }
  return fmt(pos);
}
