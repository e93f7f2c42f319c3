"use client";
import { useQuery } from "@tanstack/react-query";
import { workedFeeExample } from "@/server/domain/fees";
import { money } from "./format";
import { useTRPC } from "./trpc";

/**
 * The copy flow's worked example in money, for the amount typed: what the fees of this
 * leader's current terms come to on a copy that gains 10 % in a 30-day month, computed by the
 * same functions the engine charges with (`workedFeeExample`, server/domain/fees.ts).
 */
export function FeeExample({ leaderId, amount }: { leaderId: string; amount: string | null }) {
  const trpc = useTRPC();
  const q = useQuery(trpc.fees.newCopyTerms.queryOptions({ leaderId }));
  const t = q.data;
  if (!t) return null;
  const base = amount ?? "10000";
  const ex = workedFeeExample({
    amount: base,
    gainPct: "10",
    days: 30,
    performanceFeePct: t.performanceFeePct ?? "0",
    managementFeePctYear: t.managementFeePctYear ?? "0",
    platformFeeBps: t.platformFeeBps ?? "0",
  });
  return (
    <p className="note" data-testid="fee-example" style={{ margin: 0 }}>
      Fees: performance {t.performanceFeePct ?? "0"} % above the high-water mark, management{" "}
      {t.managementFeePctYear ?? "0"} % a year, platform {t.platformFeeBps ?? "0"} bps per trade,
      settled per {t.period}. On a {money(base)} copy that gains 10 % in a month: platform fee ≈{" "}
      {money(ex.platform.toFixed())}, management ≈ {money(ex.management.toFixed())}, performance ≈{" "}
      {money(ex.performance.toFixed())} — about {money(ex.total.toFixed())} in all.
    </p>
  );
}
