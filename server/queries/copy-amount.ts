import "server-only";
import { D } from "../domain/money";

/** Refusals that name the field and what to do; null when the amount is acceptable. */
export function amountProblem(input: {
  amount: string;
  minAllocation: string;
  available: string | null;
  currency: string;
}): string | null {
  const a = D(input.amount);
  if (a.lte(0)) return "Amount: enter how much to put into this copy.";
  if (a.lt(input.minAllocation))
    return `Amount: the minimum for this leader is ${money(input.minAllocation, input.currency)}.`;
  if (input.available !== null && a.gt(input.available))
    return `Amount: you have ${money(input.available, input.currency)} available to allocate. Add funds or lower the amount.`;
  return null;
}

function money(v: string, ccy: string) {
  return `${D(v)
    .toFixed(2)
    .replace(/\B(?=(\d{3})+(?!\d))/g, ",")} ${ccy}`;
}
