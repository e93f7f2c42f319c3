import { D, type Decimal } from "./money";

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
