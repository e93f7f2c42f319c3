import { describe, expect, it } from "vitest";
import { REASONS } from "@/server/domain/risk";
import { REJECT_REASONS } from "@/server/brokers/types";
import { healthWords, REASON_TEXT, REASON_WORDS, REJECT_WORDS } from "./reason-words";

describe("reason words", () => {
  it("every engine reason and broker refusal has words", () => {
    for (const r of REASONS) {
      expect(REASON_WORDS[r]).toBeTruthy();
      expect(REASON_TEXT[r]).toBeTruthy();
    }
    for (const r of REJECT_REASONS) expect(REJECT_WORDS[r]).toBeTruthy();
  });
  it("health lines read as the issue asks", () => {
    expect(healthWords({ kind: "in_sync" }).text).toBe("In sync");
    expect(
      healthWords({ kind: "skipped", skipped: 2, reduced: 0, reasons: ["MAX_SYMBOL_EXPOSURE"] })
        .text,
    ).toBe("2 trades skipped today: exposure limit");
    expect(
      healthWords(
        { kind: "stopped", reason: "COPY_STOP_LOSS", closeOnStop: true, stopLossPct: "20" },
        { referenceCapital: "5000", currency: "USD" },
      ),
    ).toEqual({
      text: "Stopped by your stop-loss at \u221220 % (\u2212$1,000.00 of $5,000.00)",
      tone: "bad",
    });
    expect(
      healthWords(
        { kind: "stopped", reason: "COPY_STOP_LOSS", closeOnStop: true, stopLossPct: "0.01" },
        { referenceCapital: "25000" },
      ).text,
    ).toBe("Stopped by your stop-loss at \u22120.01 % (\u2212$2.50 of $25,000.00)");
    expect(healthWords({ kind: "waiting_market", symbols: ["SPY"] }).text).toBe(
      "Waiting for the market to open (SPY)",
    );
    expect(
      healthWords({ kind: "stopped", reason: "STOPPED", closeOnStop: false, stopLossPct: null })
        .text,
    ).toBe("Stopped by you; positions kept in your portfolio");
  });
});
