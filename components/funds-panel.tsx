"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { money } from "./format";
import { isStepUpRequired, quietly, useStepUp } from "./second-factor-dialog";
import { useTRPC } from "./trpc";

/** Account cash with add and withdraw (paper money). */
export function FundsPanel() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const summary = useQuery({ ...trpc.account.summary.queryOptions(), refetchInterval: 5_000 });
  const [amount, setAmount] = useState("");
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  // Withdrawing is a step-up action: "Confirm it's you" opens, then the withdrawal is retried.
  const { run, dialog } = useStepUp();
  const done = async (text: string) => {
    setAmount("");
    setMsg({ ok: true, text });
    await qc.invalidateQueries({ queryKey: trpc.account.summary.queryKey() });
  };
  const deposit = useMutation(
    trpc.account.deposit.mutationOptions({
      onSuccess: (r) => done(`Added. Cash is now ${money(r.cash)}.`),
      onError: (e) => setMsg({ ok: false, text: e.message }),
    }),
  );
  const withdraw = useMutation(
    trpc.account.withdraw.mutationOptions({
      onSuccess: (r) => done(`Withdrawn. Cash is now ${money(r.cash)}.`),
      onError: (e) => {
        if (!isStepUpRequired(e)) setMsg({ ok: false, text: e.message });
      },
    }),
  );
  const s = summary.data;
  return (
    <section className="card" aria-labelledby="funds-h">
      <h2 id="funds-h" style={{ marginTop: 0 }}>
        Your account
      </h2>
      {summary.isPending ? (
        <p className="muted">Loading…</p>
      ) : summary.isError ? (
        <p className="error">Could not load your account: {summary.error.message}</p>
      ) : (
        <dl className="kv">
          <dt>Cash</dt>
          <dd data-testid="account-cash">{money(s?.cash ?? "0", s?.currency)}</dd>
          <dt>Promised to copies</dt>
          <dd>{money(s?.funds.committed ?? "0", s?.currency)}</dd>
          <dt>Available</dt>
          <dd>{money(s?.funds.available ?? "0", s?.currency)}</dd>
        </dl>
      )}
      <form
        className="toolbar"
        style={{ marginBottom: 0 }}
        onSubmit={(e) => {
          e.preventDefault();
          setMsg(null);
          deposit.mutate({ amount: amount.trim() });
        }}
      >
        <label>
          Amount (USD)
          <input
            inputMode="decimal"
            value={amount}
            onChange={(e) => setAmount(e.target.value)}
            placeholder="1000"
          />
        </label>
        <button type="submit" disabled={deposit.isPending}>
          Add funds
        </button>
        <button
          type="button"
          className="secondary"
          disabled={withdraw.isPending}
          onClick={() => {
            setMsg(null);
            const a = amount.trim();
            quietly(run(() => withdraw.mutateAsync({ amount: a })));
          }}
        >
          Withdraw
        </button>
      </form>
      {dialog}
      {msg && (
        <p role={msg.ok ? "status" : "alert"} className={msg.ok ? "pos" : "error"}>
          {msg.text}
        </p>
      )}
    </section>
  );
}
