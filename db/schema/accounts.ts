import { pgTable, text, uuid, unique } from "drizzle-orm/pg-core";
import { createdAt } from "./columns";
import { users } from "./users";

/**
 * A user's account at a broker. The platform never holds the money; this row tells the
 * worker which broker adapter and which account id to trade through.
 */
export const brokerAccounts = pgTable(
  "broker_accounts",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id),
    broker: text("broker").notNull().default("paper"),
    externalId: text("external_id").notNull(),
    currency: text("currency").notNull().default("USD"),
    label: text("label").notNull().default("Main"),
    createdAt: createdAt(),
  },
  (t) => [unique("broker_accounts_broker_external").on(t.broker, t.externalId)],
);
