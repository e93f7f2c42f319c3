import { bigint, bigserial, jsonb, pgTable, text, unique, uuid, index } from "drizzle-orm/pg-core";
import { dec, ts } from "./columns";
import { leaders } from "./leaders";
import { instruments } from "./instruments";

/**
 * Append-only event log. `seq` is unique and gapless per stream: it is taken from
 * `event_streams.last_seq` under that row's lock, in the same transaction as the event and
 * the projections it updates. Nothing ever updates or deletes a row here.
 */
export const events = pgTable(
  "events",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    stream: text("stream").notNull(),
    seq: bigint("seq", { mode: "number" }).notNull(),
    type: text("type").notNull(),
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull(),
    correlationId: text("correlation_id"),
    at: ts("at").notNull(),
  },
  (t) => [unique("events_stream_seq").on(t.stream, t.seq), index("events_type_idx").on(t.type)],
);

export const eventStreams = pgTable("event_streams", {
  stream: text("stream").primaryKey(),
  lastSeq: bigint("last_seq", { mode: "number" }).notNull().default(0),
});

/** Ingestion dedupe: exactly one row (and one event) per leader broker trade id. */
export const leaderFills = pgTable(
  "leader_fills",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    leaderId: uuid("leader_id")
      .notNull()
      .references(() => leaders.id),
    brokerTradeId: text("broker_trade_id").notNull(),
    brokerOrderId: text("broker_order_id").notNull(),
    symbol: text("symbol")
      .notNull()
      .references(() => instruments.symbol),
    side: text("side").$type<"buy" | "sell">().notNull(),
    qty: dec("qty").notNull(),
    price: dec("price").notNull(),
    /** Leader's signed position in the symbol after this fill. */
    positionAfter: dec("position_after").notNull(),
    eventSeq: bigint("event_seq", { mode: "number" }).notNull(),
    filledAt: ts("filled_at").notNull(),
    recordedAt: ts("recorded_at").notNull(),
  },
  (t) => [
    unique("leader_fills_trade").on(t.leaderId, t.brokerTradeId),
    index("leader_fills_seq_idx").on(t.leaderId, t.eventSeq),
  ],
);

/**
 * Commissions a leader's broker posts apart from the fills (Alpaca's crypto fees, CFEE): each
 * is taken from the leader book's cash once per broker charge id, so the leader's equity and
 * the statistics built from it are after every cost the broker took (ADR 0020). The
 * `leader_charge` event of `event_seq` is its record on the leader's stream.
 */
export const leaderCharges = pgTable(
  "leader_charges",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    leaderId: uuid("leader_id")
      .notNull()
      .references(() => leaders.id),
    brokerChargeId: text("broker_charge_id").notNull(),
    /** The broker's id of the order the fee was charged on (a leader fill's `broker_order_id`). */
    brokerOrderId: text("broker_order_id").notNull(),
    symbol: text("symbol").notNull(),
    amount: dec("amount").notNull(),
    eventSeq: bigint("event_seq", { mode: "number" }).notNull(),
    chargedAt: ts("charged_at").notNull(),
    recordedAt: ts("recorded_at").notNull(),
  },
  (t) => [
    unique("leader_charges_charge").on(t.leaderId, t.brokerChargeId),
    index("leader_charges_at_idx").on(t.leaderId, t.chargedAt),
  ],
);

/**
 * Work leases: one worker at a time per key (e.g. `leader:<id>`). `token` only ever grows,
 * so a worker whose lease expired cannot commit after another has taken over (fencing).
 */
export const workLeases = pgTable("work_leases", {
  key: text("key").primaryKey(),
  owner: text("owner"),
  token: bigint("token", { mode: "number" }).notNull().default(0),
  expiresAt: ts("expires_at"),
});
