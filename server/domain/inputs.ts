import { z } from "zod";
import { D } from "./money";

/**
 * One set of input rules for every door into the app: tRPC routers, query inputs and the
 * browser forms (this module is pure: zod and decimal.js, nothing that does I/O).
 *
 * Every rule rejects with a sentence that names the field the way the form labels it
 * ("Amount must be a number like 250.00"), for every way an input can be wrong — missing,
 * wrong type, too long, malformed, out of range — so nothing falls through to a library's
 * default message, and nothing unbounded reaches decimal.js or PostgreSQL (a 140 000-digit
 * string, a NUL byte and a lone surrogate all used to end as a 500 with SQL in the body).
 */

// ---------------------------------------------------------------------------------------------
// Decimals

export type DecimalRule = {
  /** The field as the form labels it: "Amount", "Multiplier". */
  label: string;
  /** Shown in "must be a number like …". */
  example: string;
  /** Bounds, as decimal strings; `min` is exclusive with `minExclusive` ("greater than 0"). */
  min: string;
  minExclusive?: boolean;
  max: string;
  /** Digits allowed after the point (0 = whole numbers only). */
  decimals: number;
  /** Whether zero and negatives may be entered at all (a sign is refused otherwise). */
  signed?: boolean;
  /** How the bounds read in messages (defaults to the bounds themselves, with separators). */
  unit?: string;
};

const DECIMAL_SHAPE = /^(-?)(\d+)(?:\.(\d+))?$/;

/** 10000000 -> "10,000,000"; keeps the decimals as written. */
export function groupDigits(v: string): string {
  const [int, frac] = v.split(".");
  const sign = int!.startsWith("-") ? "-" : "";
  const digits = sign ? int!.slice(1) : int!;
  return `${sign}${digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",")}${frac ? `.${frac}` : ""}`;
}

/** Digits before the point the bounds allow; more is refused before any arithmetic. */
function intDigits(rule: DecimalRule): number {
  const biggest = [rule.min, rule.max].map((b) => b.replace("-", "").split(".")[0]!.length);
  return Math.max(...biggest);
}

/** The first thing wrong with a decimal string under a rule, or null. Pure; used by forms too. */
export function decimalProblem(raw: unknown, rule: DecimalRule): string | null {
  const shape = `${rule.label} must be a number like ${rule.example}`;
  if (typeof raw !== "string") return shape;
  const v = raw.trim();
  if (v === "") return `${rule.label}: enter a number like ${rule.example}`;
  // Bounded before the regex and long before decimal.js: nothing huge goes further.
  if (v.length > intDigits(rule) + rule.decimals + 3) {
    return `${rule.label} is too long: at most ${groupDigits(rule.max)}${rule.unit ?? ""}`;
  }
  const m = DECIMAL_SHAPE.exec(v);
  if (!m) return shape;
  const [, sign, int, frac = ""] = m;
  if (sign && !rule.signed) return `${rule.label} cannot be negative`;
  if (frac.length > rule.decimals) {
    return rule.decimals === 0
      ? `${rule.label} must be a whole number`
      : `${rule.label} can have at most ${rule.decimals} digit${rule.decimals === 1 ? "" : "s"} after the point`;
  }
  if (int!.replace(/^0+(?=\d)/, "").length > intDigits(rule)) {
    return `${rule.label} must be at most ${groupDigits(rule.max)}${rule.unit ?? ""}`;
  }
  const d = D(v);
  if (rule.minExclusive ? d.lte(rule.min) : d.lt(rule.min))
    return `${rule.label} must be ${rule.minExclusive ? "greater than" : "at least"} ${groupDigits(rule.min)}${rule.unit ?? ""}`;
  if (d.gt(rule.max))
    return `${rule.label} must be at most ${groupDigits(rule.max)}${rule.unit ?? ""}`;
  return null;
}

/** A decimal string field (trimmed, canonical digits kept as typed) under one rule. */
export function decimalField(rule: DecimalRule) {
  return z
    .string({ error: `${rule.label} must be a number like ${rule.example}` })
    .superRefine((v, ctx) => {
      const problem = decimalProblem(v, rule);
      if (problem) ctx.addIssue({ code: "custom", message: problem, abort: true });
    })
    .transform((v) => v.trim());
}

/** A whole number sent as a JSON number (counts, basis points). */
export function intField(rule: { label: string; min: number; max: number; unit?: string }) {
  const range = `${rule.label} must be a whole number from ${groupDigits(String(rule.min))} to ${groupDigits(String(rule.max))}${rule.unit ?? ""}`;
  return z
    .number({ error: range })
    .int({ error: range })
    .min(rule.min, { error: range })
    .max(rule.max, { error: range });
}

/** The rules per field. Bounds are product limits, not storage limits. */
export const DECIMAL_RULES = {
  /** Money moved or promised: deposits, withdrawals, a copy's amount. */
  amount: {
    label: "Amount",
    example: "250.00",
    min: "0",
    minExclusive: true,
    max: "10000000",
    decimals: 2,
  },
  /** Multiplier mode: follower quantity = factor × leader quantity. */
  factor: {
    label: "Multiplier",
    example: "0.5",
    min: "0",
    minExclusive: true,
    max: "10",
    decimals: 4,
  },
  /** Fixed-amount mode: the money per opened trade. */
  notional: {
    label: "Amount per trade",
    example: "500",
    min: "1",
    max: "1000000",
    decimals: 2,
  },
  copyStopLossPct: {
    label: "Copy stop-loss",
    example: "15",
    min: "0",
    minExclusive: true,
    max: "99.99",
    decimals: 2,
    unit: " %",
  },
  maxSymbolExposure: {
    label: "Max exposure per instrument",
    example: "2500",
    min: "0.01",
    max: "10000000",
    decimals: 2,
  },
  dailyLossLimit: {
    label: "Daily loss limit",
    example: "500",
    min: "0.01",
    max: "10000000",
    decimals: 2,
  },
  qty: {
    label: "Quantity",
    example: "10 or 0.5",
    min: "0",
    minExclusive: true,
    max: "1000000000",
    decimals: 8,
  },
  limitPrice: {
    label: "Limit price",
    example: "190.25",
    min: "0",
    minExclusive: true,
    max: "1000000000",
    decimals: 8,
  },
} satisfies Record<string, DecimalRule>;

export const amountField = (label = "Amount") => decimalField({ ...DECIMAL_RULES.amount, label });

/**
 * A limit price more than this far from the last quote's mid is refused: a fat finger (an
 * extra zero) would otherwise rest or fill far from the market and be copied to every follower.
 */
export const PRICE_COLLAR_PCT = 25;

/** Null when `price` is inside the collar around the quote's mid; else the sentence to show. */
export function priceCollarProblem(
  price: string,
  quote: { bid: string; ask: string } | null | undefined,
  pct: number = PRICE_COLLAR_PCT,
): string | null {
  if (!quote)
    return "Limit price: there is no quote for this instrument yet, so use a market order or try again shortly";
  const mid = D(quote.bid).plus(quote.ask).div(2);
  if (mid.lte(0)) return "Limit price: there is no usable quote for this instrument yet";
  const low = mid.times(100 - pct).div(100);
  const high = mid.times(100 + pct).div(100);
  const p = D(price);
  if (p.lt(low) || p.gt(high)) {
    const places = Math.max(2, (quote.ask.split(".")[1] ?? "").length);
    return `Limit price must be within ${pct} % of the last price ${groupDigits(mid.toFixed(places))}: between ${groupDigits(low.toFixed(places))} and ${groupDigits(high.toFixed(places))}`;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Text

/**
 * C0 and C1 control characters (NUL included), DEL, and the bidirectional overrides that make
 * text read differently from what it is. Tab and line breaks are allowed in multi-line text.
 */
const CONTROL_SINGLE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const CONTROL_MULTI =
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** Unicode noncharacters U+FFFE and U+FFFF: never valid in interchanged text. */
const NONCHARACTER = /[\ufffe\uffff]/;

export type TextRule = { label: string; min?: number; max: number; multiline?: boolean };

/** The first thing wrong with a text under a rule (after trimming), or null. */
export function textProblem(raw: unknown, rule: TextRule): string | null {
  if (typeof raw !== "string") return `${rule.label} must be text`;
  // Raw length first: a megabyte of spaces is refused without being scanned.
  if (raw.length > rule.max * 2 + 64) return `${rule.label}: at most ${rule.max} characters`;
  const v = raw.trim();
  if (LONE_SURROGATE.test(v) || NONCHARACTER.test(v))
    return `${rule.label} contains characters that are not valid text; retype it`;
  if ((rule.multiline ? CONTROL_MULTI : CONTROL_SINGLE).test(v))
    return `${rule.label} contains invisible control characters; remove them`;
  const length = [...v].length;
  const min = rule.min ?? 0;
  if (length < min)
    return min === 1
      ? `${rule.label}: enter something`
      : `${rule.label}: at least ${min} characters`;
  if (length > rule.max) return `${rule.label}: at most ${rule.max} characters`;
  return null;
}

/** A trimmed, NFC-normalized text field. */
export function textField(rule: TextRule) {
  return z
    .string({ error: `${rule.label} must be text` })
    .superRefine((v, ctx) => {
      const problem = textProblem(v, rule);
      if (problem) ctx.addIssue({ code: "custom", message: problem, abort: true });
    })
    .transform((v) => v.trim().normalize("NFC"));
}

// ---------------------------------------------------------------------------------------------
// Ids, choices, flags

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A uuid (any version: the seed derives some ids deterministically), as PostgreSQL accepts. */
export function idField(label: string) {
  return z
    .string({ error: `${label} is not a valid id` })
    .max(36, { error: `${label} is not a valid id` })
    .regex(UUID, { error: `${label} is not a valid id` })
    .transform((v) => v.toLowerCase());
}

export function choiceField<const T extends readonly [string, ...string[]]>(
  label: string,
  options: T,
  words?: string,
) {
  return z.enum(options, {
    error: `${label} must be ${words ?? options.join(", ").replace(/, ([^,]*)$/, " or $1")}`,
  });
}

export function flagField(label: string) {
  return z.boolean({ error: `${label} must be yes or no` });
}

/** An object of fields; anything that is not an object at all gets one plain sentence. */
export function form<T extends z.ZodRawShape>(shape: T) {
  // checked(): used as a tRPC input as it is, the rejection already reads as words.
  return checked(
    z.object(shape, {
      error: "The form was not sent as expected. Reload the page and try again.",
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// The shared fields and forms

export const copyIdInput = form({ id: idField("Copy") });

export const riskLimitsInput = form({
  copyStopLossPct: decimalField(DECIMAL_RULES.copyStopLossPct).nullable(),
  maxSymbolExposure: decimalField(DECIMAL_RULES.maxSymbolExposure).nullable(),
  maxOpenPositions: intField({ label: "Max open positions", min: 1, max: 1000 }).nullable(),
  maxSlippageBps: intField({
    label: "Max slippage",
    min: 1,
    max: 10_000,
    unit: " bp",
  }).nullable(),
  dailyLossLimit: decimalField(DECIMAL_RULES.dailyLossLimit).nullable(),
  /** While the leader is flagged for a strategy change (ADR 0035); absent = unchanged / notify. */
  onLeaderFlag: choiceField(
    "If the leader changes strategy",
    ["notify", "pause_increases"],
    "notify or pause_increases",
  ).optional(),
});

export const sizingInput = z.discriminatedUnion(
  "mode",
  [
    form({ mode: z.literal("proportional"), amount: amountField() }),
    form({
      mode: z.literal("multiplier"),
      amount: amountField(),
      factor: decimalField(DECIMAL_RULES.factor),
    }),
    form({
      mode: z.literal("fixed_notional"),
      amount: amountField(),
      notional: decimalField(DECIMAL_RULES.notional),
    }),
  ],
  { error: "Sizing mode must be proportional, multiplier or fixed amount per trade" },
);

export const amountInput = form({ amount: amountField() });

/** The copy form's worked example (a query: nothing is written). */
export const copyPreviewInput = form({ leaderId: idField("Leader"), sizing: sizingInput });

export const profileInput = form({
  displayName: textField({ label: "Display name", min: 2, max: 60 }),
  bio: textField({ label: "Bio", max: 500, multiline: true }),
  strategy: textField({ label: "Strategy", min: 10, max: 1000, multiline: true }),
});

export const symbolField = z
  .string({ error: "Instrument: choose one" })
  .superRefine((v, ctx) => {
    // Symbols are short uppercase codes (AAPL, BTC-USD, EUR/USD, ESZ6).
    if (!/^[A-Za-z0-9][A-Za-z0-9./_-]{0,23}$/.test(v.trim()))
      ctx.addIssue({
        code: "custom",
        message: "Instrument: choose one from the list",
        abort: true,
      });
  })
  .transform((v) => v.trim());

// ---------------------------------------------------------------------------------------------
// Rejections

/** Library messages (zod's defaults) that do not name a field in words; they get one that does. */
const LIBRARY_MESSAGE = /^(Invalid|Too (big|small)|Unrecognized|Expected|Required)\b/;

function humanize(path: readonly PropertyKey[]): string {
  const last = [...path].reverse().find((p) => typeof p === "string");
  if (!last) return "The form";
  const words = String(last)
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/[_-]+/g, " ")
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function issueMessage(i: { message: string; path: readonly PropertyKey[] }): string {
  return LIBRARY_MESSAGE.test(i.message) ? `${humanize(i.path)} is not valid` : i.message;
}

/** Every problem in words naming its field, without duplicates: what a person reads. */
export function describeIssues(
  issues: readonly { message: string; path: readonly PropertyKey[] }[],
) {
  return [...new Set(issues.map(issueMessage))].join("; ");
}

/** Per field (dotted path), the messages a form shows beside that input. */
export function issuesByField(
  issues: readonly { message: string; path: readonly PropertyKey[] }[],
) {
  const out: Record<string, string[]> = {};
  for (const i of issues)
    (out[i.path.map(String).join(".") || "form"] ??= []).push(issueMessage(i));
  return out;
}

/** Invalid input, with a message a person can act on (zod's own message is JSON). */
export class InputError extends Error {
  readonly fieldErrors: Record<string, string[]>;
  constructor(readonly issues: readonly { message: string; path: readonly PropertyKey[] }[]) {
    super(describeIssues(issues));
    this.name = "InputError";
    this.fieldErrors = issuesByField(issues);
  }
}

/**
 * The schema as a tRPC input parser whose rejection reads as words: tRPC puts the parser's
 * error message into the error every caller sees (HTTP and in-process callers alike), and a
 * ZodError's message is a JSON dump of its issues. Types and every other method stay the
 * schema's own.
 */
export function checked<S extends z.ZodType>(schema: S): S {
  const parser = Object.create(schema) as S;
  Object.defineProperty(parser, "parseAsync", {
    value: async (value: unknown) => {
      const result = await schema.safeParseAsync(value);
      if (!result.success) throw new InputError(result.error.issues);
      return result.data;
    },
  });
  return parser;
}

// ---------------------------------------------------------------------------------------------
// Orders a person places (the leader's ticket, a follower's portfolio, the strategy API)

export const orderInput = form({
  symbol: symbolField,
  side: choiceField("Side", ["buy", "sell"]),
  type: choiceField("Order type", ["market", "limit"]),
  qty: decimalField(DECIMAL_RULES.qty),
  // An empty box is "no price" (market orders); anything typed must be a valid price.
  limitPrice: z.preprocess(
    (v) => (typeof v === "string" && v.trim() === "" ? undefined : v),
    decimalField(DECIMAL_RULES.limitPrice).optional(),
  ),
}).refine((v) => v.type === "market" || (v.limitPrice ?? "") !== "", {
  message: "Limit price: a limit order needs a price",
  path: ["limitPrice"],
});
