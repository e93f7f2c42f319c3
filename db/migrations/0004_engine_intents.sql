ALTER TABLE "copy_relationships" ADD COLUMN "close_on_stop" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "cancel_requested_at" timestamp with time zone;