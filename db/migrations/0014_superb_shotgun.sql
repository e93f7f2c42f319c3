CREATE TABLE "external_leader_cursors" (
	"broker_account_id" uuid PRIMARY KEY NOT NULL,
	"cursor" text,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "broker_accounts" ADD COLUMN "mode" text DEFAULT 'paper' NOT NULL;--> statement-breakpoint
ALTER TABLE "broker_accounts" ADD COLUMN "api_key_id" text;--> statement-breakpoint
ALTER TABLE "broker_accounts" ADD COLUMN "api_secret_sealed" text;--> statement-breakpoint
ALTER TABLE "broker_accounts" ADD COLUMN "sync_state" text DEFAULT 'ok' NOT NULL;--> statement-breakpoint
ALTER TABLE "broker_accounts" ADD COLUMN "sync_problem" text;--> statement-breakpoint
ALTER TABLE "broker_accounts" ADD COLUMN "synced_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "broker_accounts" ADD COLUMN "connected_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "broker_accounts" ADD COLUMN "disconnected_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "external_leader_cursors" ADD CONSTRAINT "external_leader_cursors_broker_account_id_broker_accounts_id_fk" FOREIGN KEY ("broker_account_id") REFERENCES "public"."broker_accounts"("id") ON DELETE no action ON UPDATE no action;