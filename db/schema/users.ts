import { pgEnum, pgTable, text, uuid } from "drizzle-orm/pg-core";
import { createdAt } from "./columns";

export const userRole = pgEnum("user_role", ["follower", "leader", "admin", "support"]);
export type UserRole = (typeof userRole.enumValues)[number];

export const users = pgTable("users", {
  id: uuid("id").primaryKey().defaultRandom(),
  /** Stored lower-cased; uniqueness is therefore case-insensitive. */
  email: text("email").notNull().unique(),
  passwordHash: text("password_hash").notNull(),
  displayName: text("display_name").notNull(),
  role: userRole("role").notNull().default("follower"),
  createdAt: createdAt(),
});
