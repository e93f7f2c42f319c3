"use client";
import { useMutation } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import { Decimal } from "decimal.js";
import { useState, type FormEvent } from "react";
import type { AppRouter } from "@/server/api/root";
import { decimalProblem, DECIMAL_RULES } from "@/server/domain/inputs";
import { orderEstimate } from "@/server/domain/order-estimate";
import { formErrors, type FormErrors } from "./errors";
import { FieldError, fieldProps, FormMessage } from "./form-error";
import { money, qty as fmtQty } from "./format";
import { reasonWords } from "./reason-words";
import { useTRPC } from "./trpc";

// The leader console's overview carries the same ticket fields (server/queries/ticket.ts).
type Overview = inferRouterOutputs<AppRouter>["portfolio"]["ticket"];
type Instrument = Overview["instruments"][number];
const NONE: FormErrors = { fields: {}, form: null };
const LABELS = { qty: "Quantity", limitPrice: "Limit price", symbol: "Instrument" };

/** The ticket's estimate, once the boxes hold numbers: the one rule in server/domain/order-estimate. */
export function estimate(i: Instrument, side: "buy" | "sell", quantity: string, limit?: string) {
  if (!/^\d+(\.\d+)?$/.test(quantity.trim())) return null;
  const price = limit && /^\d+(\.\d+)?$/.test(limit.trim()) ? limit.trim() : null;
  return orderEstimate(i, side, quantity.trim(), price);
}

/** The first reason to refuse before anything is sent, keyed by field; null when fine. */
export function ticketProblem(
  i: Instrument | undefined,
  t: { side: "buy" | "sell"; type: "market" | "limit"; qty: string; limitPrice: string },
  cash: string | null,
): FormErrors | null {
  if (!i) return { fields: { symbol: "Choose an instrument." }, form: null };
  if (!i.marketOpen)
    return {
      fields: {},
      form: `The market for ${i.symbol} is closed now, so the broker would refuse the order. Try again when it opens.`,
    };
  const bad = decimalProblem(t.qty, DECIMAL_RULES.qty);
  if (bad) return { fields: { qty: bad }, form: null };
  const q = new Decimal(t.qty.trim());
  if (!q.mod(i.qtyStep).isZero())
    return { fields: { qty: `${i.symbol} trades in steps of ${i.qtyStep}.` }, form: null };
  if (q.lt(i.minQty))
    return { fields: { qty: `The minimum for ${i.symbol} is ${i.minQty}.` }, form: null };
  if (t.type === "limit") {
    const p = decimalProblem(t.limitPrice, DECIMAL_RULES.limitPrice);
    if (p) return { fields: { limitPrice: p }, form: null };
  }
  const est = estimate(i, t.side, t.qty, t.type === "limit" ? t.limitPrice : undefined);
  if (!est)
    return { fields: {}, form: `There is no price for ${i.symbol} yet; try again shortly.` };
  if (est.gross.lt(i.minNotional))
    return {
      fields: {
        qty: `The order is worth ${money(est.gross.toFixed(2), i.currency)}; the minimum is ${money(i.minNotional, i.currency)}.`,
      },
      form: null,
    };
  if (t.side === "buy" && cash !== null && est.total.gt(cash))
    return {
      fields: {
        qty: `This would cost about ${money(est.total.toFixed(2), i.currency)}; your buying power is ${money(cash, i.currency)}.`,
      },
      form: null,
    };
  return null;
}

/** What the broker answered for the order just placed, in words, with its reach. */
function BrokerAnswer({ o, orderId, own }: { o: Overview; orderId: string; own: boolean }) {
  const order = o.recentOrders.find((x) => x.id === orderId);
  if (!order) return <span>Recorded; waiting for the broker…</span>;
  const fills = o.recentFills.filter((f) => f.orderId === orderId);
  const copied = fills.reduce((a, f) => a + f.copiedTo, 0);
  const skipped = fills.reduce((a, f) => a + f.skippedFor, 0);
  const what = `${order.side === "buy" ? "Buy" : "Sell"} ${fmtQty(order.qty)} ${order.symbol}`;
  switch (order.status) {
    case "filled":
    case "partially_filled":
      return (
        <span data-testid="broker-answer">
          {what}:{" "}
          {order.status === "filled" ? "filled" : `${fmtQty(order.filledQty)} filled so far`}
          {order.avgPrice && ` at ${money(order.avgPrice)}`}.
          {!own && (
            <>
              {" "}
              Copied to {copied} follower{copied === 1 ? "" : "s"}
              {skipped > 0 && `; skipped for ${skipped} (their limits)`}.
            </>
          )}
        </span>
      );
    case "rejected":
    case "expired":
    case "cancelled":
      return (
        <span data-testid="broker-answer" className="neg">
          {what}: {order.status === "rejected" ? "refused by the broker" : order.status}
          {order.rejectReason && ` — ${reasonWords(order.rejectReason)}`}.
          {!own && " Nothing was copied."}
        </span>
      );
    default:
      return (
        <span data-testid="broker-answer">
          {what}: sent, waiting for the broker ({order.status.replace(/_/g, " ")})…
        </span>
      );
  }
}

/**
 * The trade ticket: a leader's (every fill is copied to followers) or, with `own`, a
 * follower's trade in their own account, which belongs to no copy (ADR 0030).
 */
export function TradeTicket({
  o,
  onPlaced,
  own = false,
}: {
  o: Overview;
  onPlaced: () => Promise<void>;
  own?: boolean;
}) {
  const trpc = useTRPC();
  const [symbol, setSymbol] = useState(o.instruments[0]?.symbol ?? "");
  const [side, setSide] = useState<"buy" | "sell">("buy");
  const [type, setType] = useState<"market" | "limit">("market");
  const [quantity, setQuantity] = useState("");
  const [limitPrice, setLimitPrice] = useState("");
  const [errors, setErrors] = useState<FormErrors>(NONE);
  const [placed, setPlaced] = useState<string | null>(null);
  const callbacks = {
    onSuccess: async (r: { orderId: string }) => {
      setPlaced(r.orderId);
      setQuantity("");
      await onPlaced();
    },
    onError: (e: unknown) => setErrors(formErrors(e, LABELS)),
  };
  const asLeader = useMutation(trpc.leaderConsole.placeOrder.mutationOptions(callbacks));
  const asOwn = useMutation(trpc.portfolio.placeOrder.mutationOptions(callbacks));
  const place = own ? asOwn : asLeader;
  const inst = o.instruments.find((i) => i.symbol === symbol);
  const est = inst
    ? estimate(inst, side, quantity, type === "limit" ? limitPrice : undefined)
    : null;

  function submit(e: FormEvent) {
    e.preventDefault();
    setPlaced(null);
    const t = { side, type, qty: quantity, limitPrice };
    const problem = ticketProblem(inst, t, o.account.cash);
    if (problem) return setErrors(problem);
    setErrors(NONE);
    place.mutate({
      symbol,
      side,
      type,
      qty: quantity.trim(),
      limitPrice: type === "limit" ? limitPrice.trim() : undefined,
    });
  }

  return (
    <form onSubmit={submit} className="stack" noValidate aria-label="Trade ticket">
      <label htmlFor="ticket-symbol">
        Instrument
        <select
          {...fieldProps("ticket-symbol", errors.fields.symbol)}
          value={symbol}
          onChange={(e) => {
            setSymbol(e.target.value);
            setErrors(NONE);
          }}
        >
          {o.instruments.map((i) => (
            <option key={i.symbol} value={i.symbol}>
              {i.symbol} — {i.name}
            </option>
          ))}
        </select>
        <FieldError id="ticket-symbol" message={errors.fields.symbol} />
      </label>
      {inst && (
        <p className="hint" style={{ margin: 0 }} data-testid="market-state">
          <span className={inst.marketOpen ? "pos" : "neg"}>
            {inst.marketOpen ? "Market open" : "Market closed"}
          </span>{" "}
          · bid {inst.bid ? money(inst.bid, inst.currency, { dp: 4 }) : "—"} · ask{" "}
          {inst.ask ? money(inst.ask, inst.currency, { dp: 4 }) : "—"} · steps of {inst.qtyStep},
          minimum {inst.minQty}
        </p>
      )}
      <div role="radiogroup" aria-label="Side" className="row">
        <label className="inline">
          <input
            type="radio"
            name="side"
            checked={side === "buy"}
            onChange={() => setSide("buy")}
          />{" "}
          Buy
        </label>
        <label className="inline">
          <input
            type="radio"
            name="side"
            checked={side === "sell"}
            onChange={() => setSide("sell")}
          />{" "}
          Sell
        </label>
      </div>
      <label>
        Order type
        <select value={type} onChange={(e) => setType(e.target.value as "market" | "limit")}>
          <option value="market">Market</option>
          <option value="limit">Limit</option>
        </select>
      </label>
      <label htmlFor="ticket-qty">
        Quantity
        <input
          {...fieldProps("ticket-qty", errors.fields.qty)}
          inputMode="decimal"
          value={quantity}
          onChange={(e) => setQuantity(e.target.value)}
        />
        <FieldError id="ticket-qty" message={errors.fields.qty} />
      </label>
      {type === "limit" && (
        <label htmlFor="ticket-limit">
          Limit price
          <input
            {...fieldProps("ticket-limit", errors.fields.limitPrice)}
            inputMode="decimal"
            value={limitPrice}
            onChange={(e) => setLimitPrice(e.target.value)}
          />
          <FieldError id="ticket-limit" message={errors.fields.limitPrice} />
        </label>
      )}
      <p className="hint" style={{ margin: 0 }} data-testid="ticket-estimate">
        {est && inst
          ? `Estimated ${side === "buy" ? "cost" : "proceeds"} ${money(est.total.toFixed(2), inst.currency)} (commission ${money(est.fee.toFixed(2), inst.currency)})`
          : "Enter a quantity to see the estimated cost"}{" "}
        · buying power{" "}
        {o.account.cash === null ? "not on record yet" : money(o.account.cash, o.account.currency)}
      </p>
      <FormMessage message={errors.form} />
      {placed && (
        <p role="status" style={{ margin: 0 }}>
          <BrokerAnswer o={o} orderId={placed} own={own} />
        </p>
      )}
      <div>
        <button type="submit" disabled={place.isPending}>
          {place.isPending ? "Sending…" : `Place ${side} order`}
        </button>
      </div>
    </form>
  );
}
