import type { Health } from "@/server/queries/copy-health";
import { Decimal } from "decimal.js";
import { money, pct } from "./format";

/**
 * The one table of reason words. The engine records a code from a closed list
 * (server/domain/risk.ts REASONS, the broker's REJECT_REASONS); people read these.
 * Short words fit a health line ("2 trades skipped today: exposure limit"); the sentences
 * explain one decision on the copy page.
 */
export const REASON_WORDS: Record<string, string> = {
  OK: "copied in full",
  BELOW_MIN_SIZE: "too small to copy at your amount",
  INSUFFICIENT_FUNDS: "not enough cash",
  MAX_SYMBOL_EXPOSURE: "exposure limit",
  MAX_OPEN_POSITIONS: "open-positions limit",
  SLIPPAGE: "price moved past your slippage limit",
  PAUSED: "paused by you",
  STOPPED: "copy stopped",
  COPY_STOP_LOSS: "your copy stop-loss",
  DAILY_LOSS_LIMIT: "daily loss limit",
  BROKER_REJECTED: "refused by the broker",
  LEADER_NOT_COPYABLE: "leader not copyable",
  CIRCUIT_BREAKER: "trading halted for safety",
  RATE_LIMITED: "broker busy",
  LEADER_STRATEGY_CHANGE: "leader changed strategy",
};

export const REASON_TEXT: Record<string, string> = {
  OK: "Copied in full.",
  BELOW_MIN_SIZE:
    "Too small at your amount: the scaled order was below the instrument's minimum size. A later leader trade picks up the difference.",
  INSUFFICIENT_FUNDS: "Not enough cash in your account for the full order.",
  MAX_SYMBOL_EXPOSURE: "It would have gone over your limit on exposure per instrument.",
  MAX_OPEN_POSITIONS: "You already had as many open positions as your limit allows.",
  SLIPPAGE: "The price had moved further from the leader's price than your slippage limit allows.",
  PAUSED:
    "You had paused this copy: new buying is held back while paused (reductions still follow the leader).",
  STOPPED: "The copy was stopped.",
  COPY_STOP_LOSS: "Your copy stop-loss was hit: the copy closed its positions and stopped.",
  DAILY_LOSS_LIMIT: "Today's losses had reached your daily loss limit.",
  BROKER_REJECTED: "The broker rejected the order.",
  LEADER_NOT_COPYABLE: "The leader could not be copied at that moment.",
  CIRCUIT_BREAKER: "Copying was halted by a safety circuit breaker.",
  RATE_LIMITED: "The broker was busy, so increases were held back.",
  LEADER_STRATEGY_CHANGE:
    "The leader's trading changed sharply from their last 30 days, and you chose to pause new buying while that is checked (reductions still follow the leader).",
};

/** The broker's refusal codes (server/brokers/types.ts REJECT_REASONS) in words. */
export const REJECT_WORDS: Record<string, string> = {
  INSUFFICIENT_BUYING_POWER: "not enough buying power at the broker",
  QTY_NOT_ON_STEP: "quantity not in the instrument's steps",
  BELOW_MIN_QTY: "below the minimum quantity",
  BELOW_MIN_NOTIONAL: "below the minimum order value",
  PRICE_OFF_TICK: "price not on the instrument's tick",
  MARKET_CLOSED: "market closed",
  UNKNOWN_SYMBOL: "instrument unknown to the broker",
  NO_QUOTE: "no price available",
  INJECTED_REJECT: "refused by the broker (test)",
  INVALID_ORDER: "the broker could not read the order",
  BROKER_REFUSED: "refused by the broker",
  REJECTED: "refused by the broker",
  UNKNOWN_OUTCOME: "outcome still being checked with the broker",
};

export function reasonWords(code: string | null | undefined): string {
  if (!code) return "";
  return REASON_WORDS[code] ?? REJECT_WORDS[code] ?? code.replace(/_/g, " ").toLowerCase();
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export type HealthTone = "good" | "warn" | "bad" | "muted";

/**
 * One line per copy: "In sync", "2 trades skipped today: exposure limit", "Stopped by your
 * stop-loss at −20 % (−$1,000.00 of $5,000.00)", "Waiting for the market to open".
 */
export function healthWords(
  h: Health,
  ctx: { currency?: string; referenceCapital?: string | null } = {},
): { text: string; tone: HealthTone } {
  const ccy = ctx.currency ?? "USD";
  switch (h.kind) {
    case "in_sync":
      return { text: "In sync", tone: "good" };
    case "stopped": {
      if (h.reason === "COPY_STOP_LOSS") {
        const p = h.stopLossPct;
        // As many decimals as the limit was set with: 20 → "−20 %", 0.01 → "−0.01 %".
        const places = p?.split(".")[1]?.replace(/0+$/, "").length ?? 0;
        const limit = p
          ? pct(new Decimal(p).div(100).neg().toFixed(), { dp: places })
          : "your limit";
        const loss =
          p && ctx.referenceCapital
            ? ` (${money(new Decimal(ctx.referenceCapital).times(p).div(100).neg().toFixed(2), ccy)} of ${money(ctx.referenceCapital, ccy)})`
            : "";
        return { text: `Stopped by your stop-loss at ${limit}${loss}`, tone: "bad" };
      }
      const what = h.closeOnStop ? "positions closed" : "positions kept in your portfolio";
      if (h.reason === "STOPPED") return { text: `Stopped by you; ${what}`, tone: "muted" };
      return { text: `Stopped: ${reasonWords(h.reason)}; ${what}`, tone: "bad" };
    }
    case "paused":
      return {
        text:
          h.skippedToday > 0
            ? `Paused by you: ${plural(h.skippedToday, "buy")} held back today`
            : "Paused by you: new buying is held back",
        tone: "warn",
      };
    case "errors":
      return {
        text: `${plural(h.count, "order")} refused today: ${h.reasons.map(reasonWords).join(", ")}`,
        tone: "bad",
      };
    case "waiting_market":
      return {
        text: `Waiting for the market to open (${h.symbols.join(", ")})`,
        tone: "warn",
      };
    case "skipped": {
      const parts = [
        h.skipped > 0 ? `${plural(h.skipped, "trade")} skipped` : null,
        h.reduced > 0 ? `${h.skipped > 0 ? h.reduced : plural(h.reduced, "trade")} reduced` : null,
      ].filter(Boolean);
      return {
        text: `${parts.join(", ")} today: ${h.reasons.map(reasonWords).join(", ")}`,
        tone: "warn",
      };
    }
    case "catching_up":
      return { text: `Catching up: ${plural(h.pending, "leader trade")} to copy`, tone: "warn" };
    case "out_of_line":
      return {
        text: `Out of line with the leader on ${h.symbols.join(", ")}; the next trade or reconciliation corrects it`,
        tone: "warn",
      };
  }
}
