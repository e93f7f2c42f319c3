import { createHash } from "node:crypto";
import { fx } from "../server/domain/fixed";
import {
  bookFills,
  type BookFill,
  type BookOrder,
  type BookState,
} from "../server/domain/bookkeeping";

/**
 * `npx tsx bench/book.ts [fills] [rounds]`: the bookkeeping core alone
 * (`domain/bookkeeping.ts#bookFills`), no database, on one fan-out's fills: N copy orders of
 * one leader fill, each filled once, half the accounts already holding the symbol. One JSON
 * line: `coldUs` the first pass per fill, `warmUs` the median of the later passes, and a
 * `digest` (SHA-256 of everything booked) that a change to the core's speed must leave
 * unchanged.
 */
const n = Number(process.argv[2] ?? 10000);
const rounds = Number(process.argv[3] ?? 15);
const at = new Date("2026-12-02T12:00:00Z");

function world(): { state: BookState; fills: BookFill[] } {
  const orders = new Map<string, BookOrder>();
  const positions: BookState["positions"] = new Map();
  const copyPositions: BookState["copyPositions"] = new Map();
  const balances: BookState["balances"] = new Map();
  const accounts: BookState["accounts"] = new Map();
  const platformFeeBps = new Map<string, string>();
  const fills: BookFill[] = [];
  for (let i = 0; i < n; i++) {
    const acct = `00000000-0000-4000-a000-${String(i).padStart(12, "0")}`;
    const rel = `00000000-0000-4000-b000-${String(i).padStart(12, "0")}`;
    const cid = `c-${rel}-7`;
    const qty = String(1 + (i % 17)) + (i % 3 === 0 ? ".5" : "");
    orders.set(`${acct}|${cid}`, {
      id: `00000000-0000-4000-c000-${String(i).padStart(12, "0")}`,
      brokerAccountId: acct,
      clientOrderId: cid,
      relationshipId: rel,
      symbol: "XYZ",
      side: i % 4 === 0 ? "sell" : "buy",
      qty,
      filledQty: "0",
      avgPrice: null,
      status: "submitted",
      correlationId: "lf:leader-fill-7",
    });
    if (i % 2 === 0) {
      positions.set(`${acct}|XYZ`, { qty: "10", avgCost: "98.5", realizedPnl: "3.25" });
      copyPositions.set(`${rel}|XYZ`, {
        qty: "10",
        avgCost: "98.5",
        realizedPnl: "3.25",
        fees: "0.1",
      });
    }
    balances.set(acct, { cash: fx("10000"), currency: "USD" });
    accounts.set(acct, { broker: "paper", userId: `u-${i}` });
    if (i % 5 === 0) platformFeeBps.set(rel, "10");
    fills.push({
      brokerAccountId: acct,
      clientOrderId: cid,
      tradeId: `t-${i}`,
      qty,
      price: "100.01",
      commission: i % 2 ? "0.01" : "0",
      at,
    });
  }
  const state: BookState = {
    orders,
    positions,
    copyPositions,
    balances,
    instruments: new Map([["XYZ", { multiplier: "1", currency: "USD" }]]),
    accounts,
    platformFeeBps,
  };
  return { state, fills };
}

const times: number[] = [];
let digest = "";
for (let r = 0; r < rounds; r++) {
  const { state, fills } = world();
  const t0 = performance.now();
  const out = bookFills(state, fills);
  times.push(((performance.now() - t0) * 1000) / n);
  if (r === 0) digest = createHash("sha256").update(JSON.stringify(out)).digest("hex").slice(0, 16);
}
const warm = times.slice(1).sort((a, b) => a - b);
console.log(
  JSON.stringify({
    bench: "book",
    fills: n,
    coldUs: Number(times[0]!.toFixed(2)),
    warmUs: Number(warm[Math.floor(warm.length / 2)]!.toFixed(2)),
    digest,
  }),
);
