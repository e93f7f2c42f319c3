"use client";
import { useMutation } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import { useRouter } from "next/navigation";
import { useState } from "react";
import type { AppRouter } from "@/server/api/root";
import { formErrors } from "./errors";
import { day } from "./format";
import { useTRPC } from "./trpc";

type Offer = inferRouterOutputs<AppRouter>["fees"]["offer"];

/**
 * New fee terms from the leader (or the platform): the follower accepts them, from the start
 * of the next period, or keeps the current ones — doing nothing keeps them (docs/adr/0061).
 */
export function StatementOffer({ copyId, offer }: { copyId: string; offer: Offer }) {
  const trpc = useTRPC();
  const router = useRouter();
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const accept = useMutation(
    trpc.fees.accept.mutationOptions({
      onSuccess: (r) => {
        setMsg({ ok: true, text: `Accepted: the new terms apply from ${day(r.effectiveAt)}.` });
        router.refresh();
      },
      onError: (e) => setMsg({ ok: false, text: formErrors(e).form ?? "Could not accept." }),
    }),
  );
  const o = offer.offered;
  if (!o) return null;
  const c = offer.current;
  return (
    <section className="card stack" aria-label="New fee terms">
      <h2 style={{ margin: 0 }}>New terms (version {o.version})</h2>
      <p style={{ margin: 0 }}>
        Performance {c.performanceFeePct} % → <strong>{o.performanceFeePct} %</strong>, management{" "}
        {c.managementFeePctYear} % → <strong>{o.managementFeePctYear} %</strong> a year, platform{" "}
        {c.platformFeeBps} → <strong>{o.platformFeeBps} bps</strong> per trade, per {o.period}.
      </p>
      {o.accepted ? (
        <p className="form-ok">You accepted these terms; they apply from {day(o.effectiveAt)}.</p>
      ) : (
        <>
          <p className="muted" style={{ margin: 0 }}>
            If you accept, they apply from {day(o.effectiveAt)} (the start of the next period). If
            you do nothing, your copy keeps its current terms until you accept or stop it.
          </p>
          <div className="row">
            <button
              type="button"
              className="button"
              disabled={accept.isPending}
              onClick={() => accept.mutate({ id: copyId, scheduleId: o.scheduleId })}
            >
              Accept the new terms
            </button>
            <button
              type="button"
              className="button secondary"
              onClick={() => setMsg({ ok: true, text: "Your copy keeps its current terms." })}
            >
              Keep my current terms
            </button>
          </div>
        </>
      )}
      {msg ? (
        <p role={msg.ok ? "status" : "alert"} className={msg.ok ? "form-ok" : "form-error"}>
          {msg.text}
        </p>
      ) : null}
    </section>
  );
}
