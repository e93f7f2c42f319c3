import { D, type Decimal } from "./money";
import { FLAG_END_WORDS, LEADER_FLAG_CHOICES, strategyChangeRuleWords } from "./strategy-change";

/*
 * "Verified" (ADR 0036): a leader's history reconciles with their broker. Every fill Tandem
 * recorded for the leader (the fills followers were copied from and the profile's numbers are
 * computed from) must be one the broker itself reports for the leader's account, with the
 * same instrument, side, quantity and price. Pure: the worker asks the broker
 * (BrokerAdapter.listFills, paper or Alpaca) and stores the outcome.
 */

export type RecordedFill = {
  brokerTradeId: string;
  symbol: string;
  side: "buy" | "sell";
  qty: Decimal.Value;
  price: Decimal.Value;
};

export type ReportedFill = {
  tradeId: string;
  symbol: string;
  side: "buy" | "sell";
  qty: Decimal.Value;
  price: Decimal.Value;
};

export type Mismatch = {
  tradeId: string;
  kind: "missing" | "different";
  detail: string;
};

export type Verification = {
  verified: boolean;
  checked: number;
  matched: number;
  /** Why not, in words, one line per kind (empty when verified). */
  reasons: string[];
  /** The first few mismatching fills. */
  mismatches: Mismatch[];
};

/** What the badge means, in words: the profile and the agreement show this text. */
export const VERIFIED_RULE_WORDS = [
  "Verified means every trade in this leader's Tandem history — the trades followers copied and the numbers on this page come from — is one their broker reports for their account, with the same instrument, side, quantity and price.",
  "Tandem re-checks with the broker every few minutes. A single trade the broker does not report, or reports differently, removes the badge until the history reconciles again.",
  "A leader with no trades yet is not verified: there is nothing to check.",
];

const MAX_LISTED = 5;

export function verifyHistory(
  recorded: readonly RecordedFill[],
  reported: readonly ReportedFill[],
): Verification {
  const byId = new Map(reported.map((f) => [f.tradeId, f]));
  const mismatches: Mismatch[] = [];
  let missing = 0;
  let different = 0;
  for (const f of recorded) {
    const b = byId.get(f.brokerTradeId);
    if (!b) {
      missing += 1;
      mismatches.push({
        tradeId: f.brokerTradeId,
        kind: "missing",
        detail: `${f.side} ${D(f.qty).toFixed()} ${f.symbol} at ${D(f.price).toFixed()} is not among the broker's fills`,
      });
      continue;
    }
    const diffs = [
      b.symbol !== f.symbol ? `instrument ${b.symbol} (recorded ${f.symbol})` : null,
      b.side !== f.side ? `side ${b.side} (recorded ${f.side})` : null,
      !D(b.qty).eq(f.qty)
        ? `quantity ${D(b.qty).toFixed()} (recorded ${D(f.qty).toFixed()})`
        : null,
      !D(b.price).eq(f.price)
        ? `price ${D(b.price).toFixed()} (recorded ${D(f.price).toFixed()})`
        : null,
    ].filter((x): x is string => x !== null);
    if (diffs.length) {
      different += 1;
      mismatches.push({
        tradeId: f.brokerTradeId,
        kind: "different",
        detail: `the broker reports ${diffs.join(", ")}`,
      });
    }
  }
  const checked = recorded.length;
  const reasons: string[] = [];
  if (checked === 0)
    reasons.push("No trades yet: there is no history to check against the broker.");
  if (missing)
    reasons.push(
      `${missing} of ${checked} recorded trade${checked === 1 ? "" : "s"} ${missing === 1 ? "is" : "are"} not reported by the broker.`,
    );
  if (different)
    reasons.push(
      `${different} of ${checked} recorded trade${checked === 1 ? "" : "s"} ${different === 1 ? "differs" : "differ"} from what the broker reports.`,
    );
  return {
    verified: reasons.length === 0,
    checked,
    matched: checked - missing - different,
    reasons,
    mismatches: mismatches.slice(0, MAX_LISTED),
  };
}

// ---------------------------------------------------------------------------------------------
// Automatic breakers (the same ADR): their settings and their words live here, beside the
// badge's, so the engine (server/engine/risk/auto-breakers.ts) and the pages share them.

export type AutoBreakerConfig = {
  /** An instrument's breaker opens when its mid price moves more than this many percent… */
  jumpPct: string;
  /** …within this window. */
  jumpWindowMs: number;
  /** It closes once it has been open this long and the last window was calm. */
  coolDownMs: number;
  /** A leader's fill-rate breaker closes after this long without a new leader fill. */
  fillRateQuietMs: number;
};

export const AUTO_BREAKER_CONFIG: AutoBreakerConfig = {
  jumpPct: "10",
  jumpWindowMs: 60_000,
  coolDownMs: 5 * 60_000,
  fillRateQuietMs: 10 * 60_000,
};

/** The automatic breakers in words, for the profile and the agreement. */
export function autoBreakerRuleWords(
  c: AutoBreakerConfig = AUTO_BREAKER_CONFIG,
  // The engine's fill-rate limit (engine/risk/breakers.ts); a test keeps the two equal.
  fillsPerMinute = 120,
): string[] {
  const s = (ms: number) => (ms % 60_000 === 0 ? `${ms / 60_000} min` : `${ms / 1000} s`);
  return [
    `Abnormal market: when an instrument's price moves more than ${c.jumpPct} % within ${s(c.jumpWindowMs)}, copying opens no new positions in it; it resumes by itself after ${s(c.coolDownMs)} once the price has been calm for ${s(c.jumpWindowMs)}.`,
    `Runaway trading: when a leader makes more than ${fillsPerMinute} trades in a minute, copying of that leader opens no new positions; admins and the leader are told, and it resumes by itself after ${s(c.fillRateQuietMs)} without a new trade.`,
    "While a breaker is open, reductions and closes are still copied.",
  ];
}

/** Every trust rule in words (ADR 0035, 0036): the profile and the agreement show these. */
export function trustRules(fillsPerMinute?: number) {
  return {
    verified: VERIFIED_RULE_WORDS,
    flagged: strategyChangeRuleWords(),
    choices: (Object.keys(LEADER_FLAG_CHOICES) as Array<keyof typeof LEADER_FLAG_CHOICES>).map(
      (k) => ({ choice: k, ...LEADER_FLAG_CHOICES[k] }),
    ),
    flagEnds: FLAG_END_WORDS,
    breakers: autoBreakerRuleWords(AUTO_BREAKER_CONFIG, fillsPerMinute),
  };
}
export type TrustRules = ReturnType<typeof trustRules>;
