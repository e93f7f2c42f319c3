"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import { useState } from "react";
import type { AppRouter } from "@/server/api/root";
import { formErrors } from "./errors";
import { money } from "./format";
import { useTRPC } from "./trpc";

type R = inferRouterOutputs<AppRouter>["fees"]["revenue"];

/**
 * The platform's fee revenue per month and its fee settings (admins only: the router
 * refuses anyone else). A new platform fee is a new agreement version every follower must
 * accept; the share applies to fees charged from now on.
 */
export function Revenue({ initial }: { initial: R }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const q = useQuery({ ...trpc.fees.revenue.queryOptions(), initialData: initial });
  const r = q.data;
  const [form, setForm] = useState({
    platformFeeBps: r.settings.platformFeeBps,
    platformSharePct: r.settings.platformSharePct,
  });
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const save = useMutation(
    trpc.fees.setPlatformFees.mutationOptions({
      onSuccess: async (res) => {
        setMsg({
          ok: true,
          text: `Saved. ${res.newVersions} leader agreement version${res.newVersions === 1 ? "" : "s"} created for followers to accept.`,
        });
        await qc.invalidateQueries({ queryKey: trpc.fees.revenue.queryKey() });
      },
      onError: (e) => {
        const errs = formErrors(e, {
          platformFeeBps: "Platform fee",
          platformSharePct: "Platform share",
        });
        setMsg({ ok: false, text: errs.form ?? Object.values(errs.fields).join(" ") });
      },
    }),
  );
  return (
    <section className="stack" aria-labelledby="revenue-title">
      <h1 id="revenue-title">Fee revenue</h1>
      {r.months.length === 0 ? (
        <p className="card">No fees charged yet.</p>
      ) : (
        r.months.map((m) => (
          <article key={m.month} className="card" aria-label={`Month ${m.month}`}>
            <h2 style={{ marginTop: 0 }}>{m.month}</h2>
            <dl className="kv">
              <dt>Platform fees</dt>
              <dd>{money(m.platformFees)}</dd>
              <dt>Platform share of leader fees</dt>
              <dd>{money(m.platformShare)}</dd>
              <dt>Leaders earned</dt>
              <dd>{money(m.leaderShare)}</dd>
              <dt>Cash still to move</dt>
              <dd>{money(m.pending)}</dd>
              <dt>Owed at external brokers</dt>
              <dd>{money(m.owed)}</dd>
              <dt>Fees charged</dt>
              <dd>{m.fees}</dd>
            </dl>
          </article>
        ))
      )}
      <form
        className="card form"
        aria-label="Platform fee settings"
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate(form);
        }}
      >
        <h2 style={{ margin: 0 }}>Platform fee settings</h2>
        <label>
          Platform fee (bps of each copied trade)
          <input
            name="platformFeeBps"
            inputMode="decimal"
            value={form.platformFeeBps}
            onChange={(e) => setForm({ ...form, platformFeeBps: e.target.value })}
          />
        </label>
        <label>
          Platform share of management and performance fees (%)
          <input
            name="platformSharePct"
            inputMode="decimal"
            value={form.platformSharePct}
            onChange={(e) => setForm({ ...form, platformSharePct: e.target.value })}
          />
        </label>
        <button type="submit" className="button" disabled={save.isPending}>
          Save settings
        </button>
        {msg ? (
          <p role={msg.ok ? "status" : "alert"} className={msg.ok ? "form-ok" : "form-error"}>
            {msg.text}
          </p>
        ) : null}
      </form>
    </section>
  );
}
