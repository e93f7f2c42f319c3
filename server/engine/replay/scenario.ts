import { z } from "zod";

/**
 * The replay scenario (../shared/replay-format.md). Strict: an unknown field is an error,
 * decimals must be JSON strings, and every error names the field by its path.
 */
const decimal = z.string().regex(/^-?\d+(\.\d+)?$/, 'must be a decimal string such as "12.5"');
const positive = decimal.refine(
  (s) => !/^-/.test(s) && /[1-9]/.test(s),
  "must be greater than zero",
);
const nonNegative = decimal.refine(
  (s) => !/^-/.test(s) || !/[1-9]/.test(s),
  "must not be negative",
);
const isoTime = z
  .string()
  .refine(
    (s) =>
      /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(s) &&
      !Number.isNaN(Date.parse(s)),
    "must be an ISO-8601 time such as 2026-01-05T14:30:00Z",
  );
const id = z.string().min(1, "must not be empty");

const instrument = z.strictObject({
  symbol: id,
  currency: z.string().regex(/^[A-Z]{3}$/, "must be a 3-letter currency code"),
  tickSize: positive,
  qtyStep: positive,
  minQty: nonNegative,
  minNotional: nonNegative,
  multiplier: positive,
  commissionPerUnit: nonNegative,
});

const sizing = z.discriminatedUnion("mode", [
  z.strictObject({ mode: z.literal("proportional"), allocation: positive }),
  z.strictObject({ mode: z.literal("multiplier"), factor: positive }),
  z.strictObject({ mode: z.literal("fixed_notional"), notional: positive }),
]);

const risk = z.strictObject({
  copyStopLossPct: positive.optional(),
  maxSymbolExposure: nonNegative.optional(),
  maxOpenPositions: z.number().int("must be a whole number").min(0).optional(),
  maxSlippageBps: z.number().min(0, "must not be negative").optional(),
  dailyLossLimit: nonNegative.optional(),
});

const fees = z.strictObject({
  performanceFeePct: nonNegative.optional(),
  managementFeePctYear: nonNegative.optional(),
  platformFeeBps: nonNegative.optional(),
  period: z.enum(["month", "quarter"]).optional(),
});

const follower = z.strictObject({
  id,
  cash: nonNegative,
  copy: z.strictObject({
    sizing,
    risk: risk.optional(),
    onInsufficientFunds: z.enum(["reduce", "skip"]),
    fees: fees.optional(),
  }),
});

const at = { at: isoTime };
const event = z.discriminatedUnion("type", [
  z.strictObject({ ...at, type: z.literal("quote"), symbol: id, bid: positive, ask: positive }),
  z.strictObject({
    ...at,
    type: z.literal("leader_fill"),
    fillId: id,
    orderId: id,
    symbol: id,
    side: z.enum(["buy", "sell"]),
    qty: positive,
    price: positive,
  }),
  z.strictObject({
    ...at,
    type: z.literal("liquidity"),
    symbol: id,
    maxFillQty: positive.nullable(),
  }),
  z.strictObject({
    ...at,
    type: z.literal("fault"),
    account: id,
    fault: z.enum([
      "error_before_accept",
      "timeout_after_accept",
      "reject",
      "duplicate_events",
      "drop_events",
    ]),
    count: z.number().int("must be a whole number").min(1, "must be at least 1"),
  }),
  z.strictObject({
    ...at,
    type: z.literal("copy_action"),
    follower: id,
    action: z.enum(["pause", "resume", "stop", "set_allocation"]),
    allocation: positive.optional(),
  }),
  z.strictObject({ ...at, type: z.literal("cash"), account: id, amount: decimal }),
  z.strictObject({ ...at, type: z.literal("reconcile") }),
]);

export const scenarioSchema = z.strictObject({
  name: z.string(),
  seed: z.union([z.number().int(), z.string()]).optional(),
  instruments: z.array(instrument).min(1, "needs at least one instrument"),
  leader: z.strictObject({ id, cash: nonNegative }),
  followers: z.array(follower),
  events: z.array(event),
});

export type Scenario = z.infer<typeof scenarioSchema>;
export type ScenarioEvent = Scenario["events"][number];

export class ScenarioError extends Error {}

/** Parses and cross-checks a scenario; throws ScenarioError listing every problem by path. */
export function parseScenario(raw: unknown): Scenario {
  const parsed = scenarioSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ScenarioError(
      parsed.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`).join("\n"),
    );
  }
  const s = parsed.data;
  const problems: string[] = [];
  const symbols = new Set<string>();
  s.instruments.forEach((inst, i) => {
    if (symbols.has(inst.symbol))
      problems.push(`instruments[${i}].symbol: duplicate symbol ${inst.symbol}`);
    symbols.add(inst.symbol);
  });
  const followers = new Set<string>();
  s.followers.forEach((f, i) => {
    if (followers.has(f.id) || f.id === s.leader.id)
      problems.push(`followers[${i}].id: duplicate account id ${f.id}`);
    followers.add(f.id);
  });
  s.events.forEach((e, i) => {
    const p = `events[${i}]`;
    if ("symbol" in e && !symbols.has(e.symbol))
      problems.push(`${p}.symbol: unknown instrument ${e.symbol}`);
    if (e.type === "quote" && Number(e.bid) > Number(e.ask))
      problems.push(`${p}.bid: must not be above ask`);
    if (e.type === "fault" && !followers.has(e.account))
      problems.push(
        `${p}.account: faults apply to follower accounts; ${e.account} is not a follower`,
      );
    if (e.type === "cash" && e.account !== s.leader.id && !followers.has(e.account))
      problems.push(`${p}.account: unknown account ${e.account}`);
    if (e.type === "copy_action") {
      if (!followers.has(e.follower))
        problems.push(`${p}.follower: unknown follower ${e.follower}`);
      if (e.action === "set_allocation" && e.allocation === undefined)
        problems.push(`${p}.allocation: required for set_allocation`);
      if (e.action !== "set_allocation" && e.allocation !== undefined)
        problems.push(`${p}.allocation: only allowed with set_allocation`);
    }
  });
  if (problems.length) throw new ScenarioError(problems.join("\n"));
  return s;
}

function formatPath(path: PropertyKey[]): string {
  let out = "";
  for (const k of path) out += typeof k === "number" ? `[${k}]` : out ? `.${String(k)}` : String(k);
  return out || "scenario";
}
