"use client";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Decimal } from "decimal.js";
import { useRouter } from "next/navigation";
import { useEffect, useId, useState, type FormEvent } from "react";
import { defaultLimits } from "@/server/domain/copy-defaults";
import { AccountChooser } from "./broker-accounts";
import type { inferRouterInputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";
import { riskLimitsInput } from "@/server/domain/inputs";
import { LEADER_FLAG_CHOICES, type LeaderFlagChoice } from "@/server/domain/strategy-change";
import { stopLossInMoney } from "./copy-controls";
import { CopyTerms } from "./copy-terms";
import { FeeExample } from "./fee-settings-example";
import { formErrors, issuesToErrors, type FormErrors } from "./errors";
import { FieldError, FormMessage } from "./form-error";
import { money, qty } from "./format";
import { isStepUpRequired, quietly, useStepUp } from "./second-factor-dialog";
import { useTRPC } from "./trpc";

type Mode = "proportional" | "multiplier" | "fixed_notional";
type LimitKey =
  | "copyStopLossPct"
  | "maxSymbolExposure"
  | "maxOpenPositions"
  | "maxSlippageBps"
  | "dailyLossLimit";

const DECIMAL = /^\d+(\.\d+)?$/;
type StartInput = inferRouterInputs<AppRouter>["copies"]["start"];
const NO_ERRORS: FormErrors = { fields: {}, form: null };
const LABELS = {
  amount: "Amount to copy with (USD)",
  factor: "Multiplier",
  notional: "Amount per trade",
  copyStopLossPct: "Copy stop-loss (%)",
  maxSymbolExposure: "Max exposure per instrument (USD)",
  maxOpenPositions: "Max open positions",
  maxSlippageBps: "Max slippage (basis points)",
  dailyLossLimit: "Daily loss limit (USD)",
  consent: "Consent",
};

function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

const LIMITS: Array<{ key: LimitKey; label: string; hint: string; suffix: string }> = [
  {
    key: "copyStopLossPct",
    label: "Copy stop-loss (%)",
    hint: "Close everything and stop when the copy has lost this share of your amount.",
    suffix: "%",
  },
  {
    key: "maxSymbolExposure",
    label: "Max exposure per instrument (USD)",
    hint: "Never hold more than this in one instrument.",
    suffix: "USD",
  },
  {
    key: "maxOpenPositions",
    label: "Max open positions",
    hint: "Do not open a new instrument beyond this many.",
    suffix: "",
  },
  {
    key: "maxSlippageBps",
    label: "Max slippage (basis points)",
    hint: "Skip an opening trade if the price moved more than this from the leader's (100 = 1 %).",
    suffix: "bp",
  },
  {
    key: "dailyLossLimit",
    label: "Daily loss limit (USD)",
    hint: "No new buying for the rest of the day after losing this much.",
    suffix: "USD",
  },
];

export function CopyForm({
  leader,
  agreementVersion,
  initialAvailable,
  prefill,
}: {
  leader: { id: string; handle: string; name: string; feePct: string; minAllocation: string };
  agreementVersion: string;
  initialAvailable: string;
  /** From "copy with these settings" on a what-if result; every value is checked as typed. */
  prefill?: { amount?: string; mode?: Mode; factor?: string; notional?: string };
}) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const router = useRouter();
  const id = useId();
  const [amount, setAmount] = useState(prefill?.amount ?? "");
  const [mode, setMode] = useState<Mode>(prefill?.mode ?? "proportional");
  const [factor, setFactor] = useState(prefill?.factor ?? "1");
  const [notional, setNotional] = useState(prefill?.notional ?? "1000");
  const [overrides, setOverrides] = useState<Partial<Record<LimitKey, string>>>({});
  const [onInsufficient, setOnInsufficient] = useState<"reduce" | "skip">("reduce");
  const [copyOpen, setCopyOpen] = useState(false);
  const [onLeaderFlag, setOnLeaderFlag] = useState<LeaderFlagChoice>("notify");
  const [consent, setConsent] = useState(false);
  const [brokerAccountId, setBrokerAccountId] = useState<string | undefined>(undefined);
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [review, setReview] = useState<StartInput | null>(null);
  const setError = (text: string | null) =>
    setErrors(text ? formErrors({ message: text }, LABELS) : NO_ERRORS);
  const [deposit, setDeposit] = useState("");
  const [depositMsg, setDepositMsg] = useState<{ ok: boolean; text: string } | null>(null);

  const amountOk = DECIMAL.test(amount.trim()) && new Decimal(amount.trim()).gt(0);
  const debAmount = useDebounced(amount.trim(), 250);
  const debFactor = useDebounced(factor.trim(), 250);
  const debNotional = useDebounced(notional.trim(), 250);
  const sizing =
    mode === "proportional"
      ? { mode, amount: debAmount }
      : mode === "multiplier"
        ? { mode, amount: debAmount, factor: debFactor }
        : { mode, amount: debAmount, notional: debNotional };
  const previewEnabled =
    DECIMAL.test(debAmount) &&
    (mode !== "multiplier" || DECIMAL.test(debFactor)) &&
    (mode !== "fixed_notional" || DECIMAL.test(debNotional));
  const preview = useQuery({
    ...trpc.leaders.copyPreview.queryOptions({ leaderId: leader.id, sizing }),
    enabled: previewEnabled,
    placeholderData: keepPreviousData,
  });
  const summary = useQuery({ ...trpc.account.summary.queryOptions(), staleTime: 2_000 });
  const available = summary.data?.funds.available ?? initialAvailable;

  const defaults = defaultLimits(amountOk ? amount.trim() : null);
  const limitValue = (k: LimitKey) =>
    overrides[k] ?? (defaults[k] === null ? "" : String(defaults[k]));

  const depositMut = useMutation(
    trpc.account.deposit.mutationOptions({
      onSuccess: async (r) => {
        setDeposit("");
        setDepositMsg({ ok: true, text: `Added. Your cash is now ${money(r.cash)}.` });
        await qc.invalidateQueries({ queryKey: trpc.account.summary.queryKey() });
        await qc.invalidateQueries({ queryKey: trpc.leaders.copyPreview.pathKey() });
      },
      onError: (e) => setDepositMsg({ ok: false, text: e.message }),
    }),
  );
  const { run, dialog } = useStepUp();
  const start = useMutation(
    trpc.copies.start.mutationOptions({
      onSuccess: async () => {
        await qc.invalidateQueries({ queryKey: trpc.copies.mine.queryKey() });
        router.push("/dashboard");
        router.refresh();
      },
      onError: (e) => {
        // A large amount asks "Confirm it's you" first; the review stays for the retry.
        if (isStepUpRequired(e)) return;
        setReview(null);
        setErrors(formErrors(e, LABELS));
      },
    }),
  );

  function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    const a = amount.trim();
    if (!DECIMAL.test(a) || new Decimal(a).lte(0))
      return setError("Amount: enter how much to put into this copy, such as 5000.");
    if (new Decimal(a).lt(leader.minAllocation))
      return setError(`Amount: the minimum for this leader is ${money(leader.minAllocation)}.`);
    if (new Decimal(a).gt(available))
      return setError(
        `Amount: you have ${money(available)} available to allocate. Add funds or lower the amount.`,
      );
    if (mode === "multiplier" && !DECIMAL.test(factor.trim()))
      return setError("Multiplier: enter a number such as 0.5.");
    if (mode === "fixed_notional" && !DECIMAL.test(notional.trim()))
      return setError("Amount per trade: enter an amount such as 1000.");
    const lim = (k: LimitKey) => {
      const v = limitValue(k).trim();
      return v === "" ? null : v;
    };
    const int = (k: LimitKey) => {
      const v = lim(k);
      return v === null ? null : Number(v);
    };
    for (const k of ["maxOpenPositions", "maxSlippageBps"] as const) {
      const v = lim(k);
      if (v !== null && !/^\d+$/.test(v))
        return setError(`${LIMITS.find((l) => l.key === k)!.label}: enter a whole number.`);
    }
    const limits = {
      copyStopLossPct: lim("copyStopLossPct"),
      maxSymbolExposure: lim("maxSymbolExposure"),
      maxOpenPositions: int("maxOpenPositions"),
      maxSlippageBps: int("maxSlippageBps"),
      dailyLossLimit: lim("dailyLossLimit"),
      onLeaderFlag,
    };
    // The server's own rules, before anything is sent.
    const checkedLimits = riskLimitsInput.safeParse(limits);
    if (!checkedLimits.success)
      return setErrors(issuesToErrors(checkedLimits.error.issues, LABELS));
    if (!consent) return setError("Consent: tick the box to agree to the copy terms.");
    const s =
      mode === "proportional"
        ? { mode, amount: a }
        : mode === "multiplier"
          ? { mode, amount: a, factor: factor.trim() }
          : { mode, amount: a, notional: notional.trim() };
    // A review step before anything is sent: what is agreed, in money.
    setReview({
      leaderId: leader.id,
      ...(brokerAccountId ? { brokerAccountId } : {}),
      sizing: s,
      limits,
      onInsufficientFunds: onInsufficient,
      copyOpenPositions: copyOpen,
      consent: true,
      agreementVersion,
    });
  }

  const p = preview.data;
  const stopLoss = stopLossInMoney(limitValue("copyStopLossPct"), amount.trim());
  return (
    <div className="stack">
      {dialog}
      <section className="card" aria-labelledby={`${id}-funds`}>
        <h2 id={`${id}-funds`} style={{ marginTop: 0 }}>
          Your cash
        </h2>
        <p>
          Available to allocate: <strong data-testid="available-cash">{money(available)}</strong>
          {summary.data && summary.data.funds.committed !== "0" && (
            <span className="muted">
              {" "}
              ({money(summary.data.funds.committed)} is already promised to your other copies)
            </span>
          )}
        </p>
        <form
          className="toolbar"
          style={{ margin: 0 }}
          onSubmit={(e) => {
            e.preventDefault();
            setDepositMsg(null);
            depositMut.mutate({ amount: deposit.trim() });
          }}
        >
          <label>
            Add funds (USD, paper money)
            <input
              inputMode="decimal"
              value={deposit}
              onChange={(e) => setDeposit(e.target.value)}
              placeholder="10000"
            />
          </label>
          <button type="submit" className="secondary" disabled={depositMut.isPending}>
            {depositMut.isPending ? "Adding…" : "Add funds"}
          </button>
        </form>
        {depositMsg && (
          <p role={depositMsg.ok ? "status" : "alert"} className={depositMsg.ok ? "pos" : "error"}>
            {depositMsg.text}
          </p>
        )}
      </section>

      <form onSubmit={submit} className="stack" noValidate aria-label={`Copy ${leader.name}`}>
        <fieldset>
          <legend>How much and how</legend>
          <label>
            Amount to copy with (USD)
            <input
              name="amount"
              inputMode="decimal"
              autoComplete="off"
              value={amount}
              onChange={(e) => setAmount(e.target.value)}
              placeholder="5000"
              aria-describedby={errors.fields.amount ? "amount-error" : `${id}-amount-hint`}
              aria-invalid={errors.fields.amount || (p?.amountError && amountOk) ? true : undefined}
            />
            <FieldError id="amount" message={errors.fields.amount} />
            <span id={`${id}-amount-hint`} className="hint">
              Minimum {money(leader.minAllocation)}. This is the capital the copy works with and the
              base for your stop-loss.
            </span>
          </label>
          <div
            role="radiogroup"
            aria-label="Sizing mode"
            className="stack"
            style={{ gap: "0.4rem" }}
          >
            <label className="inline">
              <input
                type="radio"
                name="mode"
                checked={mode === "proportional"}
                onChange={() => setMode("proportional")}
              />
              Proportional (recommended): your positions are your amount&apos;s share of the
              leader&apos;s account
            </label>
            <label className="inline">
              <input
                type="radio"
                name="mode"
                checked={mode === "multiplier"}
                onChange={() => setMode("multiplier")}
              />
              Multiplier: a fixed multiple of the leader&apos;s quantities
            </label>
            <label className="inline">
              <input
                type="radio"
                name="mode"
                checked={mode === "fixed_notional"}
                onChange={() => setMode("fixed_notional")}
              />
              Fixed amount per trade: each new position opens with the same amount of money
            </label>
          </div>
          {mode === "multiplier" && (
            <label>
              Multiplier
              <input
                inputMode="decimal"
                value={factor}
                onChange={(e) => setFactor(e.target.value)}
              />
              <span className="hint">
                0.1 means you trade a tenth of the leader&apos;s quantity.
              </span>
            </label>
          )}
          {mode === "fixed_notional" && (
            <label>
              Amount per trade (USD)
              <input
                inputMode="decimal"
                value={notional}
                onChange={(e) => setNotional(e.target.value)}
              />
            </label>
          )}
        </fieldset>

        <section className="card" aria-live="polite" aria-labelledby={`${id}-example`}>
          <h2 id={`${id}-example`} style={{ marginTop: 0 }}>
            What this means for you
          </h2>
          {!amountOk ? (
            <p className="muted">
              Enter an amount to see what you would buy when {leader.name} trades.
            </p>
          ) : preview.isError ? (
            <p className="error">The example could not be computed: {preview.error.message}</p>
          ) : !p ? (
            <p className="muted">Working it out…</p>
          ) : (
            <>
              {p.amountError && (
                <p className="error" role="alert">
                  {p.amountError}
                </p>
              )}
              {p.ratio && (
                <p>
                  Your share: <strong>{p.ratio}</strong> of the leader&apos;s quantities
                  {mode === "proportional" && (
                    <span className="muted">
                      {" "}
                      ({money(debAmount)} ÷ leader&apos;s account {money(p.leaderEquity)})
                    </span>
                  )}
                  .
                </p>
              )}
              {p.examples.length === 0 ? (
                <p className="muted">This leader has no trades to show an example with yet.</p>
              ) : (
                <ul data-testid="worked-example">
                  {p.examples.map((x) => (
                    <li key={x.symbol}>
                      When {leader.name} {x.side === "buy" ? "buys" : "sells short"}{" "}
                      {qty(x.leaderQty)} {x.symbol} (about {money(x.leaderNotional, x.currency)}),{" "}
                      {x.tooSmall ? (
                        <strong>
                          your share is below the minimum order ({qty(x.minQty)} {x.symbol}): that
                          trade would be skipped
                        </strong>
                      ) : (
                        <strong>
                          you {x.side === "buy" ? "buy" : "sell"} {qty(x.followerQty)} {x.symbol}{" "}
                          (about {money(x.followerNotional, x.currency)})
                        </strong>
                      )}
                      .
                    </li>
                  ))}
                </ul>
              )}
            </>
          )}
        </section>

        <fieldset>
          <legend>Your risk limits</legend>
          <p className="hint" style={{ margin: 0 }}>
            Pre-filled with sensible defaults for your amount. Leave a field empty for no limit.
            Limits only hold back increases; reductions always follow the leader.
          </p>
          <div className="field-grid">
            {LIMITS.map((l) => (
              <label key={l.key}>
                {l.label}
                <input
                  inputMode="decimal"
                  name={l.key}
                  value={limitValue(l.key)}
                  onChange={(e) => setOverrides((o) => ({ ...o, [l.key]: e.target.value }))}
                />
                <FieldError id={`limit-${l.key}`} message={errors.fields[l.key]} />
                <span className="hint">{l.hint}</span>
                {l.key === "copyStopLossPct" && stopLoss && (
                  <span
                    className={stopLoss.tiny ? "field-error" : "hint"}
                    data-testid="stop-loss-money"
                  >
                    That stops the copy after a loss of {money(stopLoss.loss)} on{" "}
                    {money(amount.trim())}.
                    {stopLoss.tiny &&
                      " That is very tight: ordinary price moves and fees may trigger it."}
                  </span>
                )}
              </label>
            ))}
          </div>
          <div
            role="radiogroup"
            aria-label="When cash is short"
            className="stack"
            style={{ gap: "0.4rem" }}
          >
            <span>When your cash is not enough for the full order:</span>
            <label className="inline">
              <input
                type="radio"
                name="insufficient"
                checked={onInsufficient === "reduce"}
                onChange={() => setOnInsufficient("reduce")}
              />
              Buy what the cash allows
            </label>
            <label className="inline">
              <input
                type="radio"
                name="insufficient"
                checked={onInsufficient === "skip"}
                onChange={() => setOnInsufficient("skip")}
              />
              Skip the trade
            </label>
          </div>
          <div
            role="radiogroup"
            aria-label="If the leader changes strategy"
            className="stack"
            style={{ gap: "0.4rem" }}
          >
            <span>If {leader.name} is flagged for a sudden change of strategy:</span>
            {(Object.keys(LEADER_FLAG_CHOICES) as LeaderFlagChoice[]).map((c) => (
              <label className="inline" key={c}>
                <input
                  type="radio"
                  name="on-leader-flag"
                  value={c}
                  checked={onLeaderFlag === c}
                  onChange={() => setOnLeaderFlag(c)}
                />
                {LEADER_FLAG_CHOICES[c].label}
              </label>
            ))}
          </div>
          <label className="inline">
            <input
              type="checkbox"
              checked={copyOpen}
              onChange={(e) => setCopyOpen(e.target.checked)}
            />
            Also open the leader&apos;s current positions now, at market
          </label>
        </fieldset>

        <AccountChooser value={brokerAccountId} onChange={setBrokerAccountId} />

        <FeeExample leaderId={leader.id} amount={amountOk ? amount.trim() : null} />

        <details className="card" open>
          <summary>The copy terms: what is copied, limits, fees, speed and risks</summary>
          <CopyTerms leaderName={leader.name} feePct={leader.feePct} version={agreementVersion} />
        </details>

        <label className="inline">
          <input
            type="checkbox"
            name="consent"
            checked={consent}
            onChange={(e) => setConsent(e.target.checked)}
          />
          I have read the copy terms (version {agreementVersion}) and agree to copy {leader.name}
        </label>
        <FieldError id="consent" message={errors.fields.consent} />
        <FormMessage message={errors.form} />
        {review && (
          <section
            className="note stack"
            aria-labelledby={`${id}-review`}
            style={{ gap: "0.4rem" }}
          >
            <h3 id={`${id}-review`} style={{ margin: 0 }}>
              Review before you start
            </h3>
            <ul style={{ margin: 0 }} data-testid="copy-review">
              <li>
                Copy {leader.name} with {money(review.sizing.amount)} (
                {review.sizing.mode === "proportional"
                  ? "proportional"
                  : review.sizing.mode === "multiplier"
                    ? `multiplier ${review.sizing.factor}`
                    : `${money(review.sizing.notional)} per trade`}
                ).
              </li>
              <li>
                {review.limits.copyStopLossPct
                  ? `Stop-loss: the copy closes and stops after a loss of ${money(stopLossInMoney(review.limits.copyStopLossPct, review.sizing.amount)?.loss ?? null)}.`
                  : "No copy stop-loss: losses are not capped by a stop."}
              </li>
              <li>
                At most{" "}
                {review.limits.maxSymbolExposure
                  ? money(review.limits.maxSymbolExposure)
                  : "no limit"}{" "}
                per instrument, {review.limits.maxOpenPositions ?? "any number of"} open positions
                {review.limits.dailyLossLimit
                  ? `, no new buying after losing ${money(review.limits.dailyLossLimit)} in a day`
                  : ""}
                .
              </li>
              <li>
                If {leader.name} is flagged for a change of strategy:{" "}
                {LEADER_FLAG_CHOICES[review.limits.onLeaderFlag ?? "notify"].words}
              </li>
              <li>
                Performance fee {leader.feePct} % on new profits; terms version {agreementVersion}.
              </li>
            </ul>
            <div className="row">
              <button
                type="button"
                disabled={start.isPending}
                onClick={() => quietly(run(() => start.mutateAsync(review)))}
              >
                {start.isPending ? "Starting…" : "Start copying"}
              </button>
              <button type="button" className="secondary" onClick={() => setReview(null)}>
                Change something
              </button>
            </div>
          </section>
        )}
        <div className="row">
          {!review && (
            <button type="submit" disabled={start.isPending}>
              Review and start
            </button>
          )}
        </div>
      </form>
    </div>
  );
}
