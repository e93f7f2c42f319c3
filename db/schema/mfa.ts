import { bigint, index, integer, jsonb, pgTable, text, uuid } from "drizzle-orm/pg-core";
import { createdAt, ts } from "./columns";
import { sessions } from "./sessions";
import { users } from "./users";

/**
 * Second factors (docs/adr/0050). One authenticator-app (TOTP) secret per user, sealed with
 * the secret box (the row's user id is the additional data, so a sealed secret copied onto
 * another user does not open). `confirmedAt` is null until the user has typed a first code:
 * an unconfirmed secret protects nothing and is replaced by the next enrolment.
 * `lastStep` is the 30-second step of the last accepted code, so the same code (or an older
 * one) is refused the second time.
 */
export const totpFactors = pgTable("totp_factors", {
  userId: uuid("user_id")
    .primaryKey()
    .references(() => users.id, { onDelete: "cascade" }),
  secretSealed: text("secret_sealed").notNull(),
  confirmedAt: ts("confirmed_at"),
  lastStep: bigint("last_step", { mode: "number" }),
  createdAt: createdAt(),
});

/** Ten single-use recovery codes per enrolment, stored as SHA-256 hashes (shown once). */
export const recoveryCodes = pgTable(
  "recovery_codes",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    codeHash: text("code_hash").notNull().unique(),
    usedAt: ts("used_at"),
    createdAt: createdAt(),
  },
  (t) => [index("recovery_codes_user_idx").on(t.userId)],
);

/** WebAuthn credentials (passkeys). The id is the credential id, base64url. */
export const passkeys = pgTable(
  "passkeys",
  {
    id: text("id").primaryKey(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** COSE public key, base64url. Public, so not sealed. */
    publicKey: text("public_key").notNull(),
    counter: bigint("counter", { mode: "number" }).notNull().default(0),
    transports: jsonb("transports").$type<string[]>().notNull().default([]),
    label: text("label").notNull().default("Passkey"),
    createdAt: createdAt(),
    lastUsedAt: ts("last_used_at"),
  },
  (t) => [index("passkeys_user_idx").on(t.userId)],
);

/**
 * When a session last proved a second factor (at sign-in, or again for a high-risk action:
 * step-up). Kept beside the session rather than on it so sessions stay as they were for
 * users without a second factor.
 */
export const sessionFactorProofs = pgTable("session_factor_proofs", {
  sessionId: uuid("session_id")
    .primaryKey()
    .references(() => sessions.id, { onDelete: "cascade" }),
  provenAt: ts("proven_at").notNull(),
  /** totp, recovery_code, passkey */
  method: text("method").notNull(),
});

/**
 * Short-lived, single-use ceremonies: a sign-in that got the password right and now waits for
 * the second factor (`sign_in`), and the WebAuthn challenges of registration (`passkey_register`)
 * and step-up (`passkey_step_up`). The id is the bearer token of a pending sign-in; a handful
 * of wrong codes ends it.
 */
export const mfaChallenges = pgTable(
  "mfa_challenges",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    purpose: text("purpose").notNull(),
    /** WebAuthn challenge (base64url), when the ceremony has one. */
    challenge: text("challenge"),
    attempts: integer("attempts").notNull().default(0),
    expiresAt: ts("expires_at").notNull(),
    usedAt: ts("used_at"),
    createdAt: createdAt(),
  },
  (t) => [index("mfa_challenges_user_idx").on(t.userId, t.purpose)],
);
