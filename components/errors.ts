import { money } from "./format";

/**
 * One way to turn whatever a mutation threw into words for a person: a message per field
 * (shown next to that field) and at most one message for the form. Server messages name the
 * field ("Amount: you have 120.00 USD available"); zod's come as `path: message` pieces and
 * in tRPC's `data.fieldErrors`. Anything that looks like a library or database message is
 * replaced: people never see DecimalError, zod paths, tRPC codes or SQL.
 */
export type FormErrors = { fields: Record<string, string>; form: string | null };

/** field key → the label the form shows for it ("amount" → "Amount"). */
export type FieldLabels = Record<string, string>;

const INTERNAL =
  /DecimalError|Invalid argument|ZodError|TRPCClientError|TRPCError|invalid_type|invalid input syntax|violates|relation "|syntax error|duplicate key|column "|\bat [\w.<>]+ \(|Unexpected token|is not a function|undefined|null value|ECONNREFUSED|Cannot read prop/i;

export const SOMETHING_WRONG =
  "Something went wrong on our side, and nothing was changed. Please try again in a moment.";
const OFFLINE = "We could not reach Tandem. Check your connection and try again.";

type ErrLike = {
  message?: unknown;
  data?: { code?: unknown; fieldErrors?: unknown; httpStatus?: unknown } | null;
};

/** Money inside a sentence the way pages show it: "48502.986482 USD" → "$48,502.99". */
export function wordsWithMoney(text: string): string {
  return text.replace(/(-?\d[\d,]*(?:\.\d+)?)\s?(USD|EUR|GBP)\b/g, (_, n: string, ccy: string) =>
    money(n.replace(/,/g, ""), ccy),
  );
}

function clean(text: string): string | null {
  const t = text.trim();
  if (!t || INTERNAL.test(t)) return null;
  return wordsWithMoney(t);
}

function keyFor(path: string, labels: FieldLabels): string | null {
  const last = path.split(".").at(-1)!;
  if (last in labels) return last;
  const lower = path.trim().toLowerCase();
  for (const [k, label] of Object.entries(labels)) {
    const l = label.toLowerCase();
    if (lower === l || l.startsWith(`${lower} `) || lower === l.replace(/\s*\(.*\)$/, "")) return k;
  }
  return null;
}

/** "Copy stop-loss: must be between …" beside the Copy stop-loss field reads "Must be between …". */
function withoutLabel(msg: string, label: string): string {
  const bare = label.replace(/\s*\(.*\)$/, "");
  let rest = msg;
  for (const l of [label, bare]) {
    if (msg.toLowerCase().startsWith(`${l.toLowerCase()}:`)) {
      rest = msg.slice(l.length + 1).trim();
      break;
    }
  }
  return rest.charAt(0).toUpperCase() + rest.slice(1);
}

export function formErrors(err: unknown, labels: FieldLabels = {}): FormErrors {
  const out: FormErrors = { fields: {}, form: null };
  if (!err) return out;
  const e = err as ErrLike;
  const raw = typeof e.message === "string" ? e.message : "";
  if (/Failed to fetch|NetworkError|Load failed|fetch failed/i.test(raw)) {
    out.form = OFFLINE;
    return out;
  }
  if (e.data?.code === "INTERNAL_SERVER_ERROR") {
    out.form = SOMETHING_WRONG;
    return out;
  }
  const put = (key: string | null, msg: string | null) => {
    if (!msg) return;
    if (key && !out.fields[key]) out.fields[key] = withoutLabel(msg, labels[key]!);
    else if (!key && !out.form) out.form = msg;
  };
  const fe = e.data?.fieldErrors;
  if (fe && typeof fe === "object") {
    for (const [k, msgs] of Object.entries(fe as Record<string, unknown>)) {
      const first = Array.isArray(msgs) ? msgs.find((m) => typeof m === "string") : null;
      const key = keyFor(k, labels);
      if (typeof first === "string" && key) put(key, clean(first));
    }
  }
  // "limits.copyStopLossPct: Copy stop-loss: must be …; amount: …", "Amount: you have …",
  // or "Amount must be a number like 250.00".
  for (const piece of raw.split(/;\s+/)) {
    const m = /^([^:]{1,60}):\s+(.+)$/s.exec(piece.trim());
    if (m) {
      const [, prefix, body] = m as unknown as [string, string, string];
      const key = keyFor(prefix, labels);
      const isPath = /^[a-z]\w*(\.\w+)*$/.test(prefix);
      if (key) put(key, clean(body));
      else put(null, clean(isPath ? body : piece));
      continue;
    }
    const byLabel = Object.entries(labels).find(([, l]) =>
      piece.toLowerCase().startsWith(`${l.replace(/\s*\(.*\)$/, "").toLowerCase()} `),
    );
    put(byLabel ? byLabel[0] : null, clean(piece));
  }
  if (!out.form && Object.keys(out.fields).length === 0) out.form = SOMETHING_WRONG;
  return out;
}

/** Whether a form error object has anything to show. */
export function hasErrors(e: FormErrors): boolean {
  return e.form !== null || Object.keys(e.fields).length > 0;
}

/**
 * Browser-side validation with the server's own zod schemas (server/domain/inputs.ts): the
 * same words, before anything is sent. Issues are placed by the last segment of their path.
 */
export function issuesToErrors(
  issues: readonly { message: string; path: readonly PropertyKey[] }[],
  labels: FieldLabels,
): FormErrors {
  const out: FormErrors = { fields: {}, form: null };
  for (const i of issues) {
    const key = keyFor(i.path.map(String).join(".") || "form", labels);
    const text = clean(i.message) ?? SOMETHING_WRONG;
    if (key) out.fields[key] ??= withoutLabel(text, labels[key]!);
    else out.form ??= text;
  }
  return out;
}
