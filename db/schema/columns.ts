import { numeric, timestamp } from "drizzle-orm/pg-core";

/**
 * Money, prices and quantities: unconstrained `numeric`, read back as decimal strings so that
 * no JavaScript float ever holds them. Unconstrained keeps the exact value written ("3" stays
 * "3", "0.015" stays "0.015"), which keeps reports and reconciliations byte-comparable.
 */
export const dec = (name: string) => numeric(name, { mode: "string" });

export const createdAt = () =>
  timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow();

export const ts = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });
