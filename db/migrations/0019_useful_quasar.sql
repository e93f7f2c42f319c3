CREATE TYPE "public"."leader_flag_policy" AS ENUM('notify', 'pause_increases');--> statement-breakpoint
CREATE TABLE "api_idempotency" (
	"api_key_id" uuid NOT NULL,
	"idempotency_key" text NOT NULL,
	"body_hash" text NOT NULL,
	"order_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "api_idempotency_api_key_id_idempotency_key_pk" PRIMARY KEY("api_key_id","idempotency_key")
);
--> statement-breakpoint
CREATE TABLE "api_keys" (
	"id" uuid PRIMARY KEY NOT NULL,
	"key_id" text NOT NULL,
	"user_id" uuid NOT NULL,
	"leader_id" uuid NOT NULL,
	"label" text DEFAULT '' NOT NULL,
	"scopes" text[] NOT NULL,
	"sealed_secret" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "api_keys_key_id_unique" UNIQUE("key_id")
);
--> statement-breakpoint
CREATE TABLE "api_nonces" (
	"api_key_id" uuid NOT NULL,
	"nonce" text NOT NULL,
	"seen_at" timestamp with time zone NOT NULL,
	CONSTRAINT "api_nonces_api_key_id_nonce_pk" PRIMARY KEY("api_key_id","nonce")
);
--> statement-breakpoint
CREATE TABLE "leader_flags" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"leader_id" uuid NOT NULL,
	"kind" text DEFAULT 'strategy_change' NOT NULL,
	"reason" text NOT NULL,
	"figures" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"opened_at" timestamp with time zone NOT NULL,
	"opened_by" text NOT NULL,
	"closed_at" timestamp with time zone,
	"closed_by" text,
	"close_reason" text
);
--> statement-breakpoint
ALTER TABLE "leaders" ADD COLUMN "api_limit_orders" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "copy_relationships" ADD COLUMN "on_leader_flag" "leader_flag_policy" DEFAULT 'notify' NOT NULL;--> statement-breakpoint
ALTER TABLE "api_idempotency" ADD CONSTRAINT "api_idempotency_api_key_id_api_keys_id_fk" FOREIGN KEY ("api_key_id") REFERENCES "public"."api_keys"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "api_idempotency" ADD CONSTRAINT "api_idempotency_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_leader_id_leaders_id_fk" FOREIGN KEY ("leader_id") REFERENCES "public"."leaders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "api_nonces" ADD CONSTRAINT "api_nonces_api_key_id_api_keys_id_fk" FOREIGN KEY ("api_key_id") REFERENCES "public"."api_keys"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "leader_flags" ADD CONSTRAINT "leader_flags_leader_id_leaders_id_fk" FOREIGN KEY ("leader_id") REFERENCES "public"."leaders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "api_keys_leader_idx" ON "api_keys" USING btree ("leader_id","created_at");--> statement-breakpoint
CREATE INDEX "api_nonces_seen_idx" ON "api_nonces" USING btree ("seen_at");--> statement-breakpoint
CREATE UNIQUE INDEX "leader_flags_one_open" ON "leader_flags" USING btree ("leader_id","kind") WHERE "leader_flags"."closed_at" is null;--> statement-breakpoint
CREATE INDEX "leader_flags_leader_idx" ON "leader_flags" USING btree ("leader_id","opened_at");