"use client";
import { useMutation } from "@tanstack/react-query";
import { Decimal } from "decimal.js";
import { useState, type FormEvent } from "react";
import { LEADER_FLAG_CHOICES, type LeaderFlagChoice } from "@/server/domain/strategy-change";
import { decimalProblem, DECIMAL_RULES, riskLimitsInput } from "@/server/domain/inputs";
import { formErrors, issuesToErrors, type FormErrors } from "./errors";
import { FieldError, fieldProps, FormMessage } from "./form-error";
import { money } from "./format";
import type { CopyView } from "./copy-detail";
import { isStepUpRequired, quietly, useStepUp } from "./second-factor-dialog";
import { useTRPC } from "./trpc";

type LimitKey = keyof CopyView["limits"];

const LIMIT_FIELDS: Array<{ key: LimitKey; label: string; int?: boolean }> = [
  { key: "copyStopLossPct", label: "Copy stop-loss (%)" },
  { key: "maxSymbolExposure", label: "Max exposure per instrument (USD)" },
  { key: "maxOpenPositions", label: "Max open positions", int: true },
  { key: "maxSlippageBps", label: "Max slippage (basis points)", int: true },
  { key: "dailyLossLimit", label: "Daily loss limit (USD)" },
];
const LIMIT_LABELS = Object.fromEntries(LIMIT_FIELDS.map((f) => [f.key, f.label]));
const NONE: FormErrors = { fields: {}, form: null };

/** What a stop-loss of p % of the amount means in money, and whether it is too tight to work. */
export function stopLossInMoney(p: string, amount: string) {
  if (!/^\d+(\.\d+)?$/.test(p.trim()) || !/^\d+(\.\d+)?$/.test(amount)) return null;
  const loss = new Decimal(amount).times(p.trim()).div(100);
  return { loss: loss.toFixed(2), tiny: new Decimal(p.trim()).lt(2) };
}

/** Pause, resume, stop, change the amount, edit limits: each with its own answer in words. */
export function CopyControls({ d, onChanged }: { d: CopyView; onChanged: () => Promise<void> }) {
  const trpc = useTRPC();
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const [allocErr, setAllocErr] = useState<FormErrors>(NONE);
  const [limitErr, setLimitErr] = useState<FormErrors>(NONE);
  const ok = (text: string) => async () => {
    setMsg({ ok: true, text });
    await onChanged();
  };
  // Raising the amount above the step-up threshold asks "Confirm it's you", then retries.
  const { run, dialog } = useStepUp();
  const failed = (e: unknown) => setMsg({ ok: false, text: formErrors(e).form ?? "" });
  const pause = useMutation(
    trpc.copies.pause.mutationOptions({
      onSuccess: ok("Paused. New buying is held back; reductions still follow the leader."),
      onError: failed,
    }),
  );
  const resume = useMutation(
    trpc.copies.resume.mutationOptions({
      onSuccess: ok("Resumed. The next leader trade is copied."),
      onError: failed,
    }),
  );
  const stop = useMutation(
    trpc.copies.stop.mutationOptions({ onSuccess: ok("Stopped."), onError: failed }),
  );
  const setAlloc = useMutation(
    trpc.copies.setAllocation.mutationOptions({
      onSuccess: async () => {
        setAllocInput("");
        await ok("Amount changed; your share is fixed again from the leader's account now.")();
      },
      onError: (e) => {
        if (!isStepUpRequired(e))
          setAllocErr(formErrors(e, { allocation: "New amount", amount: "Amount" }));
      },
    }),
  );
  const setLimits = useMutation(
    trpc.copies.setLimits.mutationOptions({
      onSuccess: ok("Limits saved. They apply from the next leader trade."),
      onError: (e) => setLimitErr(formErrors(e, LIMIT_LABELS)),
    }),
  );

  const [closeOnStop, setCloseOnStop] = useState(true);
  const [confirmStop, setConfirmStop] = useState(false);
  const [alloc, setAllocInput] = useState("");
  const [limits, setLimitsInput] = useState<Record<LimitKey, string>>(() => ({
    copyStopLossPct: d.limits.copyStopLossPct ?? "",
    maxSymbolExposure: d.limits.maxSymbolExposure ?? "",
    maxOpenPositions: d.limits.maxOpenPositions?.toString() ?? "",
    maxSlippageBps: d.limits.maxSlippageBps?.toString() ?? "",
    dailyLossLimit: d.limits.dailyLossLimit ?? "",
  }));
  const [flagChoice, setFlagChoice] = useState<LeaderFlagChoice>(d.onLeaderFlag);
  const amount = d.allocation ?? d.referenceCapital;
  const sl = stopLossInMoney(limits.copyStopLossPct, amount);

  function changeAmount(e: FormEvent) {
    e.preventDefault();
    setMsg(null);
    const problem = decimalProblem(alloc, { ...DECIMAL_RULES.amount, label: "New amount" });
    if (problem) return setAllocErr({ fields: { allocation: problem }, form: null });
    const raise = new Decimal(alloc.trim()).minus(amount);
    if (raise.gt(0) && raise.gt(d.funds.available))
      return setAllocErr({
        fields: {
          allocation: `You can raise this copy by at most ${money(d.funds.available)} (your available cash). Add funds first.`,
        },
        form: null,
      });
    setAllocErr(NONE);
    const allocation = alloc.trim();
    quietly(run(() => setAlloc.mutateAsync({ id: d.id, allocation })));
  }

  function saveLimits(e: FormEvent) {
    e.preventDefault();
    setMsg(null);
    const v = (k: LimitKey) => (limits[k].trim() === "" ? null : limits[k].trim());
    const n = (k: LimitKey) => (v(k) === null ? null : /^\d+$/.test(v(k)!) ? Number(v(k)) : NaN);
    const next = {
      copyStopLossPct: v("copyStopLossPct"),
      maxSymbolExposure: v("maxSymbolExposure"),
      maxOpenPositions: n("maxOpenPositions"),
      maxSlippageBps: n("maxSlippageBps"),
      dailyLossLimit: v("dailyLossLimit"),
      onLeaderFlag: flagChoice,
    };
    const parsed = riskLimitsInput.safeParse(next);
    if (!parsed.success) return setLimitErr(issuesToErrors(parsed.error.issues, LIMIT_LABELS));
    setLimitErr(NONE);
    setLimits.mutate({ id: d.id, limits: next });
  }

  return (
    <section className="card stack" aria-labelledby="controls">
      {dialog}
      <h2 id="controls" style={{ margin: 0 }}>
        Controls
      </h2>
      <FormMessage message={msg?.text || null} ok={msg?.ok} />
      <div className="row">
        {d.status === "active" ? (
          <button
            type="button"
            onClick={() => pause.mutate({ id: d.id })}
            disabled={pause.isPending}
          >
            Pause copying
          </button>
        ) : (
          <button
            type="button"
            onClick={() => resume.mutate({ id: d.id })}
            disabled={resume.isPending}
          >
            Resume copying
          </button>
        )}
        <button
          type="button"
          className="secondary"
          onClick={() => setConfirmStop((v) => !v)}
          aria-expanded={confirmStop}
        >
          Stop copying…
        </button>
      </div>
      {confirmStop && (
        <div className="note stack" style={{ gap: "0.5rem" }}>
          <div role="radiogroup" aria-label="Positions when stopping">
            <label className="inline">
              <input
                type="radio"
                name="close"
                checked={closeOnStop}
                onChange={() => setCloseOnStop(true)}
              />
              Close the copy&apos;s positions at market
            </label>
            <label className="inline">
              <input
                type="radio"
                name="close"
                checked={!closeOnStop}
                onChange={() => setCloseOnStop(false)}
              />
              Keep the positions; I will manage them
            </label>
            {!closeOnStop && (
              <p className="hint" style={{ margin: "0.25rem 0 0" }}>
                Kept positions move to your portfolio, where you can close them whenever the market
                is open.
              </p>
            )}
          </div>
          <div className="row">
            <button
              type="button"
              className="danger"
              disabled={stop.isPending}
              onClick={() => stop.mutate({ id: d.id, closePositions: closeOnStop })}
            >
              Stop this copy
            </button>
            <button type="button" className="secondary" onClick={() => setConfirmStop(false)}>
              Keep copying
            </button>
          </div>
        </div>
      )}
      <form className="toolbar" style={{ margin: 0 }} onSubmit={changeAmount} noValidate>
        <label htmlFor="allocation">
          New amount for this copy (USD)
          <input
            {...fieldProps("allocation", allocErr.fields.allocation)}
            inputMode="decimal"
            value={alloc}
            onChange={(e) => setAllocInput(e.target.value)}
            placeholder={amount}
          />
          <FieldError id="allocation" message={allocErr.fields.allocation} />
          <span className="hint">
            Raise it to add funds, lower it to withdraw. Available: {money(d.funds.available)}.
          </span>
        </label>
        <button type="submit" disabled={setAlloc.isPending}>
          Change amount
        </button>
      </form>
      <FormMessage message={allocErr.form} />
      <details open={Object.keys(limitErr.fields).length > 0 || undefined}>
        <summary>Edit risk limits</summary>
        <form onSubmit={saveLimits} className="stack" style={{ marginTop: "0.75rem" }} noValidate>
          <div className="field-grid">
            {LIMIT_FIELDS.map((f) => (
              <label key={f.key} htmlFor={`limit-${f.key}`}>
                {f.label}
                <input
                  {...fieldProps(`limit-${f.key}`, limitErr.fields[f.key])}
                  inputMode={f.int ? "numeric" : "decimal"}
                  value={limits[f.key]}
                  onChange={(e) => setLimitsInput((l) => ({ ...l, [f.key]: e.target.value }))}
                />
                <FieldError id={`limit-${f.key}`} message={limitErr.fields[f.key]} />
                {f.key === "copyStopLossPct" && sl && (
                  <span className={sl.tiny ? "field-error" : "hint"}>
                    Stops the copy after a loss of {money(sl.loss)} on {money(amount)}.
                    {sl.tiny && " That is very tight: ordinary price moves may stop it."}
                  </span>
                )}
              </label>
            ))}
          </div>
          <div
            role="radiogroup"
            aria-label="If the leader changes strategy"
            className="stack"
            style={{ gap: "0.4rem" }}
          >
            <span>If the leader is flagged for a sudden change of strategy:</span>
            {(Object.keys(LEADER_FLAG_CHOICES) as LeaderFlagChoice[]).map((c) => (
              <label className="inline" key={c}>
                <input
                  type="radio"
                  name="on-leader-flag"
                  checked={flagChoice === c}
                  onChange={() => setFlagChoice(c)}
                />
                {LEADER_FLAG_CHOICES[c].label}
              </label>
            ))}
          </div>
          <p className="hint" style={{ margin: 0 }}>
            Leave a field empty for no limit. Limits hold back increases only; reductions always
            follow the leader.
          </p>
          <FormMessage message={limitErr.form} />
          <div>
            <button type="submit" disabled={setLimits.isPending}>
              Save limits
            </button>
          </div>
        </form>
      </details>
    </section>
  );
}
