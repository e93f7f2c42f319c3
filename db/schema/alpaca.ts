import { bigint, integer, jsonb, pgTable, primaryKey, text, unique } from "drizzle-orm/pg-core";
import { createdAt } from "./columns";

/**
 * The Alpaca adapter's journal of order events per account (server/brokers/alpaca/journal.ts).
 * Alpaca's trade_updates stream has no sequence number, so the adapter numbers the events it
 * learns of — from its own REST responses and from the stream — gaplessly per account, and
 * readEvents serves the ones the stream delivered. Persisted so that the seq a consumer keeps
 * as its cursor survives a restart of the worker (docs/adr/0020).
 */
export const alpacaStreamEvents = pgTable(
  "alpaca_stream_events",
  {
    accountId: text("account_id").notNull(),
    seq: bigint("seq", { mode: "number" }).notNull(),
    /** Identity of the event: `<orderId>:new`, `<orderId>:fill:<cumQty>`, `<orderId>:canceled`. */
    eventKey: text("event_key").notNull(),
    /** The BrokerOrderEvent (dates as ISO strings); null while only reserved by a REST answer. */
    event: jsonb("event").$type<Record<string, unknown> | null>(),
    /** How many times the stream (or a catch-up after a gap) delivered it; 0 = not delivered. */
    delivered: integer("delivered").notNull().default(0),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.seq] }),
    unique("alpaca_stream_events_key").on(t.accountId, t.eventKey),
  ],
);
