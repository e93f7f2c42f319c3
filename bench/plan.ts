import { createHash } from "node:crypto";
import { appendFileSync } from "node:fs";
import { fx, type Fixed } from "../server/domain/fixed";
import { D } from "../server/domain/money";
import { createRng, type Rng } from "../server/domain/random";
import { planBatch } from "../server/engine/replicate/fanout";
import type { PlanContext, Rel } from "../server/engine/replicate/plan-context";

/**
 * `npx tsx bench/plan.ts [followers] [rounds]`: the fan-out's planning loop alone
 * (`replicate/fanout.ts#planBatch`), no database, on two generated batches of followers:
 *
 * - `bench`: the copies bench:fanout-engine makes (proportional r = 0.01, flat, funded,
 *   no limits): the figure `planUsPerFollower` reports, without the database around it;
 * - `mixed`: seeded random copies of every sizing mode with positions, working orders, every
 *   limit set at random, paused copies and off-step positions, so every check runs.
 *
 * One JSON line per scenario: `coldUs` is the first pass over fresh contexts (what the
 * engine sees: a fan-out is planned once), `warmUs` the median of the later passes, both
 * wall time per follower, and `cpuUs` the process CPU time per follower of the warm passes
 * (less sensitive to a loaded machine). `digest` is a SHA-256 of every row planned: the
 * same code change must leave it unchanged (the planner's results are exact).
 */
const followers = Number(process.argv[2] ?? 10000);
const rounds = Number(process.argv[3] ?? 20);
const SYMBOL = "XYZ";
const now = new Date("2026-12-02T12:00:00Z");

type Scenario = { name: string; make: () => { ctx: PlanContext; rels: Rel[] } };

const baseRel = (i: number): Rel =>
  ({
    id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
    followerId: `f-${i}`,
    leaderId: "leader-1",
    brokerAccountId: `acct-${i}`,
    broker: "paper",
    status: "active",
    sizingMode: "proportional",
    allocation: "10000",
    factor: null,
    notional: null,
    ratio: "0.01",
    maxSymbolExposure: null,
    maxOpenPositions: null,
    maxSlippageBps: null,
    dailyLossLimit: null,
    onInsufficientFunds: "reduce",
    onLeaderFlag: "notify",
  }) as unknown as Rel;

function emptyContext(inst: Record<string, string>, quote: { bid: string; ask: string }) {
  return {
    instruments: new Map([[SYMBOL, { symbol: SYMBOL, ...inst }]]),
    quotes: new Map([[SYMBOL, quote]]),
    copyPositions: new Map(),
    openQty: new Map<string, Fixed>(),
    funds: new Map<string, Fixed>(),
    fixedRatios: new Map<string, Fixed>(),
    dailyLoss: new Map<string, Fixed>(),
    breakers: [],
    leaderFlags: new Map<string, string>(),
  } as unknown as PlanContext;
}

const benchScenario: Scenario = {
  name: "bench",
  make() {
    const ctx = emptyContext(
      { qtyStep: "1", minQty: "1", minNotional: "1", multiplier: "1", commissionPerUnit: "0.005" },
      { bid: "99.99", ask: "100.01" },
    );
    const rels = Array.from({ length: followers }, (_, i) => baseRel(i));
    for (const r of rels) ctx.funds.set(r.brokerAccountId, fx("100000"));
    return { ctx, rels };
  },
};

const digits = (rng: Rng, int: number, frac: number) => {
  const i = String(rng.int(0, 10 ** int - 1));
  let f = "";
  for (let k = 0; k < frac; k++) f += String(rng.int(0, 9));
  return frac ? `${i}.${f}` : i;
};
const maybe = <T>(rng: Rng, v: () => T): T | null => (rng.next() < 0.5 ? v() : null);

const mixedScenario: Scenario = {
  name: "mixed",
  make() {
    const rng = createRng("bench-plan-mixed");
    const ctx = emptyContext(
      {
        qtyStep: "0.01",
        minQty: "0.05",
        minNotional: "5",
        multiplier: "1",
        commissionPerUnit: "0.005",
      },
      { bid: "99.95", ask: "100.07" },
    );
    const rels = Array.from({ length: followers }, (_, i) => {
      const mode = rng.pick(["proportional", "multiplier", "fixed_notional"] as const);
      const rel = {
        ...baseRel(i),
        status: rng.next() < 0.1 ? "paused" : "active",
        sizingMode: mode,
        // proportional ratios as allocation / equity leaves them: many digits
        ratio:
          mode === "proportional"
            ? D(digits(rng, 5, 2))
                .div(D(digits(rng, 7, 2)).plus(1))
                .toFixed()
            : mode === "multiplier"
              ? digits(rng, 1, 2)
              : null,
        notional: mode === "fixed_notional" ? digits(rng, 5, 2) : null,
        maxSymbolExposure: maybe(rng, () => digits(rng, 4, 2)),
        maxOpenPositions: maybe(rng, () => rng.int(0, 4)),
        maxSlippageBps: maybe(rng, () => rng.int(0, 20)),
        dailyLossLimit: maybe(rng, () => digits(rng, 3, 2)),
        onInsufficientFunds: rng.next() < 0.5 ? "reduce" : "skip",
        onLeaderFlag: rng.next() < 0.2 ? "pause_increases" : "notify",
      } as unknown as Rel;
      ctx.funds.set(rel.brokerAccountId, fx(digits(rng, 5, 2)));
      if (rng.next() < 0.6) {
        // some positions are off the 0.01 step (a changed instrument, a manual trade)
        const held = rng.next() < 0.1 ? digits(rng, 2, 3) : digits(rng, 2, 2);
        ctx.copyPositions.set(rel.id, [
          { relationshipId: rel.id, symbol: SYMBOL, qty: rng.next() < 0.3 ? `-${held}` : held },
          { relationshipId: rel.id, symbol: "OTHER", qty: rng.next() < 0.5 ? "3" : "0" },
        ] as never);
      }
      if (rng.next() < 0.2) ctx.openQty.set(`${rel.id}|${SYMBOL}`, fx(digits(rng, 1, 2)));
      if (mode === "fixed_notional" && rng.next() < 0.5)
        ctx.fixedRatios.set(`${rel.id}|${SYMBOL}`, fx(digits(rng, 1, 6)));
      if (rel.dailyLossLimit !== null) ctx.dailyLoss.set(rel.id, fx(digits(rng, 3, 2)));
      return rel;
    });
    ctx.leaderFlags.set("leader-1", "style drift");
    return { ctx, rels };
  },
};

const BATCH = 2000;
/** PLAN_DUMP=file appends every planned row, to diff two trees when the digests differ. */
const dump = (json: string) => {
  if (process.env.PLAN_DUMP) appendFileSync(process.env.PLAN_DUMP, json.replaceAll("},{", "},\n{"));
  return json;
};
const fill = (positionBefore: string, positionAfter: string) => ({
  fillId: "fill-1",
  orderId: "order-1",
  symbol: SYMBOL,
  side: "buy" as const,
  qty: "1000",
  price: "100",
  positionBefore,
  positionAfter,
});

/** One pass: every follower in batches of the engine's size, over fresh contexts. */
function pass(s: Scenario, leader: ReturnType<typeof fill>) {
  const { ctx, rels } = s.make();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const out = [];
  for (let i = 0; i < rels.length; i += BATCH)
    out.push(planBatch(ctx, rels.slice(i, i + BATCH), leader, 7, true, now));
  const c = process.cpuUsage(c0);
  return { ms: performance.now() - t0, cpuMs: (c.user + c.system) / 1000, out };
}

for (const s of [benchScenario, mixedScenario]) {
  const leader = s.name === "bench" ? fill("0", "1000") : fill("-3.5", "1000.25");
  const cold = pass(s, leader);
  const hash = createHash("sha256").update(dump(JSON.stringify(cold.out)));
  // The digest also covers a growing and a closing leader (held ratios, reductions, flat).
  if (s.name === "mixed")
    for (const [before, after] of [
      ["500", "1000.25"],
      ["1000.25", "0"],
      ["20", "-7.75"],
    ] as const)
      hash.update(dump(JSON.stringify(pass(s, fill(before, after)).out)));
  const warm: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const p = pass(s, leader);
    warm.push(p.ms);
    cpu.push(p.cpuMs);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const us = (ms: number) => Number(((ms * 1000) / followers).toFixed(2));
  console.log(
    JSON.stringify({
      bench: "plan",
      scenario: s.name,
      followers,
      coldUs: us(cold.ms),
      warmUs: us(median(warm)),
      cpuUs: us(median(cpu)),
      digest: hash.digest("hex").slice(0, 16),
    }),
  );
}
