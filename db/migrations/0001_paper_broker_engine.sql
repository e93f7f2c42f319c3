CREATE TABLE "paper_liquidity" (
	"symbol" text PRIMARY KEY NOT NULL,
	"max_fill_qty" numeric NOT NULL
);
--> statement-breakpoint
ALTER TABLE "paper_accounts" ADD COLUMN "event_seq" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "paper_events" ADD COLUMN "deliver_at" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "paper_events" ADD COLUMN "dropped" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "paper_events" ADD COLUMN "copies" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "paper_orders" ADD COLUMN "commission" numeric DEFAULT '0' NOT NULL;--> statement-breakpoint
CREATE INDEX "paper_events_delivery_idx" ON "paper_events" USING btree ("account_id","deliver_at");--> statement-breakpoint
CREATE INDEX "paper_orders_symbol_status_idx" ON "paper_orders" USING btree ("symbol","status");