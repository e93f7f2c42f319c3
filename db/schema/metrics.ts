import { date, pgTable, primaryKey, text } from "drizzle-orm/pg-core";
import { dec } from "./columns";

/**
 * Daily equity snapshots (end of day) for leaders, followers and copies, so pages never
 * recompute history per request. `netFlow` is the day's deposits minus withdrawals, which
 * the time-weighted return needs to split sub-periods.
 */
export const equitySnapshots = pgTable(
  "equity_snapshots",
  {
    ownerType: text("owner_type").$type<"leader" | "follower" | "copy">().notNull(),
    ownerId: text("owner_id").notNull(),
    day: date("day", { mode: "string" }).notNull(),
    equity: dec("equity").notNull(),
    netFlow: dec("net_flow").notNull().default("0"),
  },
  (t) => [primaryKey({ columns: [t.ownerType, t.ownerId, t.day] })],
);
