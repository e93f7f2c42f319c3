import type { Health } from "@/server/queries/copy-health";
import { healthWords } from "./reason-words";

/** A copy's health in one line of words, the same on the dashboard and the copy page. */
export function HealthLine({
  health,
  referenceCapital,
  currency = "USD",
}: {
  health: Health;
  referenceCapital?: string | null;
  currency?: string;
}) {
  const { text, tone } = healthWords(health, { referenceCapital, currency });
  return (
    <span className={`health health-${tone}`} data-testid="health-line" data-kind={health.kind}>
      <span aria-hidden="true" className="health-dot" />
      {text}
    </span>
  );
}
