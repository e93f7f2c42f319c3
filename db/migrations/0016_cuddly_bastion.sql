CREATE TABLE "copy_fees" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "copy_fees_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"relationship_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"amount" numeric NOT NULL,
	"period" text,
	"base" numeric NOT NULL,
	"rate" numeric NOT NULL,
	"fill_trade_id" text
);
--> statement-breakpoint
ALTER TABLE "copy_relationships" ADD COLUMN "performance_fee_pct" numeric;--> statement-breakpoint
ALTER TABLE "copy_relationships" ADD COLUMN "management_fee_pct_year" numeric;--> statement-breakpoint
ALTER TABLE "copy_relationships" ADD COLUMN "platform_fee_bps" numeric;--> statement-breakpoint
ALTER TABLE "copy_relationships" ADD COLUMN "fee_period" text DEFAULT 'month' NOT NULL;--> statement-breakpoint
ALTER TABLE "copy_relationships" ADD COLUMN "high_water_mark" numeric;--> statement-breakpoint
ALTER TABLE "copy_relationships" ADD COLUMN "fees_charged" numeric DEFAULT '0' NOT NULL;--> statement-breakpoint
ALTER TABLE "copy_relationships" ADD COLUMN "fees_accrued" numeric DEFAULT '0' NOT NULL;--> statement-breakpoint
ALTER TABLE "copy_relationships" ADD COLUMN "fees_settled_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "copy_fees" ADD CONSTRAINT "copy_fees_relationship_id_copy_relationships_id_fk" FOREIGN KEY ("relationship_id") REFERENCES "public"."copy_relationships"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "copy_fees_rel_idx" ON "copy_fees" USING btree ("relationship_id","at");--> statement-breakpoint
CREATE UNIQUE INDEX "copy_fees_platform_once" ON "copy_fees" USING btree ("relationship_id","fill_trade_id");