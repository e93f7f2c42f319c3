"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import { useState } from "react";
import type { AppRouter } from "@/server/api/root";
import { formErrors } from "./errors";
import { useTRPC } from "./trpc";

type Fees = inferRouterOutputs<AppRouter>["fees"]["myFees"];

/**
 * A leader's fees, within the platform's caps. Saving makes a new agreement version; each
 * follower's copy moves to it only when they accept (docs/adr/0061), which the form says.
 */
export function FeeSettings({ initial }: { initial: Fees }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const q = useQuery({ ...trpc.fees.myFees.queryOptions(), initialData: initial });
  const f = q.data;
  const [form, setForm] = useState({
    performanceFeePct: f.performanceFeePct,
    managementFeePctYear: f.managementFeePctYear,
    period: f.period,
  });
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const save = useMutation(
    trpc.fees.setMyFees.mutationOptions({
      onSuccess: async (r) => {
        setFieldErrors({});
        setMsg({
          ok: true,
          text: `Saved as version ${r.version}. Your followers are asked to accept it; until they do, their copies keep the terms they agreed to.`,
        });
        await qc.invalidateQueries({ queryKey: trpc.fees.myFees.queryKey() });
      },
      onError: (e) => {
        const errs = formErrors(e, {
          performanceFeePct: "Performance fee",
          managementFeePctYear: "Management fee",
          period: "Fee period",
        });
        setFieldErrors(errs.fields);
        setMsg({ ok: false, text: errs.form ?? Object.values(errs.fields).join(" ") });
      },
    }),
  );
  return (
    <section className="card stack" aria-labelledby="fee-settings-title">
      <h2 id="fee-settings-title" style={{ margin: 0 }}>
        Your fees {f.version ? <span className="badge">version {f.version}</span> : null}
      </h2>
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate(form);
        }}
      >
        <label>
          Performance fee (%, at most {f.caps.performanceFeePct})
          <input
            name="performanceFeePct"
            inputMode="decimal"
            value={form.performanceFeePct}
            aria-invalid={Boolean(fieldErrors.performanceFeePct)}
            onChange={(e) => setForm({ ...form, performanceFeePct: e.target.value })}
          />
        </label>
        <label>
          Management fee (% a year, at most {f.caps.managementFeePctYear})
          <input
            name="managementFeePctYear"
            inputMode="decimal"
            value={form.managementFeePctYear}
            aria-invalid={Boolean(fieldErrors.managementFeePctYear)}
            onChange={(e) => setForm({ ...form, managementFeePctYear: e.target.value })}
          />
        </label>
        <label>
          Fee period
          <select
            name="period"
            value={form.period}
            onChange={(e) => setForm({ ...form, period: e.target.value as "month" | "quarter" })}
          >
            <option value="month">month</option>
            <option value="quarter">quarter</option>
          </select>
        </label>
        <p className="muted" style={{ margin: 0 }}>
          The platform charges {f.platformFeeBps} bps of each copied trade and keeps{" "}
          {f.platformSharePct} % of your management and performance fees.
        </p>
        <button type="submit" className="button" disabled={save.isPending}>
          Save fees
        </button>
      </form>
      {msg ? (
        <p role={msg.ok ? "status" : "alert"} className={msg.ok ? "form-ok" : "form-error"}>
          {msg.text}
        </p>
      ) : null}
    </section>
  );
}
